"""Training formats over ``rowport serve``: every registered format (the third-party example
too) is listed by ``GET /formats``; a remote client converts a finished task on the server and
downloads the output to a local directory or ``.zip``, the same files an embedded conversion of
that task writes; exports started over the API write their formats into the task's folder;
bad formats and options are refused with the embedded client's message; a read-only key cannot
convert and another organization's task is not found."""

from __future__ import annotations

import csv
import itertools
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from rowport import ExportTask, TaskStatus
from rowport._organizations import organization_home
from rowport.client import Client
from rowport.errors import AccessDenied, InvalidExportRequest, InvalidInput, NotFound
from rowport.testing import RowportServer, install_package, start_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "rowport-format-example"
_orgs = itertools.count()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example format package, pip-installed into a directory of its own."""
    return install_package(EXAMPLE, tmp_path_factory.mktemp("format-example"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, site: Path) -> Iterator[RowportServer]:
    """A real ``rowport serve`` with the example format package on its ``PYTHONPATH``."""
    path = [str(site), str(ROOT / "core"), str(ROOT / "plugins")]
    served = start_server(
        tmp_path_factory.mktemp("serve") / "home", env={"PYTHONPATH": os.pathsep.join(path)}
    )
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def org(server: RowportServer) -> str:
    return f"formats{next(_orgs)}"


@pytest.fixture
def remote(server: RowportServer, org: str) -> Iterator[Client]:
    with Client(server.url, api_key=server.create_key("w", organization=org)) as client:
        yield client


def _labelled_project(client: Client) -> str:
    """A project of two images, one labelled with a box and a polygon (COCO carries both)."""
    dataset = client.create_dataset("shots")
    rows = dataset.create_data_rows(
        [
            {
                "row_data": f"https://img.example/{n}.jpg",
                "media_type": "image",
                "global_key": k,
                "media_attributes": {"width": 64, "height": 48, "mime_type": "image/jpeg"},
            }
            for n, k in ((1, "a"), (2, "b"))
        ]
    )
    ontology = client.create_ontology(
        "o",
        [{"tool": "bbox", "name": "car"}, {"tool": "polygon", "name": "road"}],
        [],
        media_type="image",
    )
    project = client.create_project("p", "image", ontology)
    project.create_batch("b", data_rows=[r.uid for r in rows])
    box = {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0}
    polygon = [{"x": 1.0, "y": 1.0}, {"x": 5.0, "y": 1.0}, {"x": 5.0, "y": 4.0}]
    objects = [
        {"name": "car", "annotation_kind": "ImageBoundingBox", "bounding_box": box},
        {"name": "road", "annotation_kind": "ImagePolygon", "polygon": polygon},
    ]
    project.import_labels(
        [
            {
                "data_row_id": rows[0].uid,
                "annotations": {"objects": objects, "classifications": [], "relationships": []},
            }
        ]
    )
    return project.uid


def _finished(task: ExportTask) -> ExportTask:
    task.wait_till_done(timeout_seconds=120)
    assert task.status is TaskStatus.COMPLETE, task.errors_message
    return task


def _files(root: Path) -> dict[str, bytes]:
    """The files under ``root`` but ``lossiness.json`` (it names where it was written)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "lossiness.json"
    }


def _losses(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = orjson.loads(path.read_bytes())
    return {k: report[k] for k in ("format", "status", "rows_read", "rows_written", "losses")}


def test_every_format_is_listed_with_what_it_carries(
    server: RowportServer, remote: Client, org: str, tmp_path: Path
) -> None:
    listed = {f["name"]: f for f in remote.get_formats()}
    example = listed["box_csv"]
    assert example["plugin"] == "format_example"
    assert "image" in example["media_types"] and "ImageBoundingBox" in example["annotation_kinds"]
    assert "prefix" in {o["name"] for o in example["options"]}
    # the built-ins read the same over the server as embedded
    with Client(tmp_path / "home") as embedded:
        local = {f["name"]: f for f in embedded.get_formats()}
    assert set(local) <= set(listed) and local["coco"] == listed["coco"]
    assert {"name", "type", "default", "choices", "help"} <= set(listed["coco"]["options"][0])
    headers = {"Authorization": f"Bearer {server.create_key('doc', organization=org)}"}
    document = requests.get(f"{server.url}/api/v1/openapi.json", headers=headers, timeout=30).json()
    assert document["paths"]["/api/v1/formats"]["get"]["operationId"] == "formats.list"
    for path in ("/tasks/{task_id}/convert", "/tasks/{task_id}/formats/{name}"):
        assert "/api/v1" + path in document["paths"]


def test_remote_convert_writes_what_an_embedded_convert_writes(
    server: RowportServer, remote: Client, org: str, tmp_path: Path
) -> None:
    task = _finished(remote.get_project(_labelled_project(remote)).export())
    report = task.convert("coco", tmp_path / "remote")
    assert report.ok and report.output == str(tmp_path / "remote") and report.rows_written == 1
    zipped = task.convert("coco", tmp_path / "remote.zip", overwrite=True)
    assert zipped.output == str(tmp_path / "remote.zip")
    with Client(organization_home(server.home, org)) as embedded:
        embedded.get_task(task.uid).convert("coco", tmp_path / "embedded")
    expected = _files(tmp_path / "embedded")
    assert "annotations/instances.json" in expected
    assert _files(tmp_path / "remote") == expected
    with zipfile.ZipFile(tmp_path / "remote.zip") as archive:
        unzipped = {n: archive.read(n) for n in archive.namelist() if n != "lossiness.json"}
    assert unzipped == expected
    assert _losses(tmp_path / "remote" / "lossiness.json") == _losses(
        tmp_path / "embedded" / "lossiness.json"
    )
    assert orjson.loads((tmp_path / "remote.lossiness.json").read_bytes())["output"] == str(
        tmp_path / "remote.zip"
    )
    # no temporary name is left beside the outputs
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "embedded",
        "remote",
        "remote.lossiness.json",
        "remote.zip",
    ]
    # the task's record and listing carry the report, with the output inside the task
    (listed,) = task.format_reports
    assert listed["format"] == "coco" and listed["output"] == "formats/coco.zip"
    assert listed["rows_read"] == 2 and listed["status"] == "complete"
    # the download takes Range
    token = server.create_key("r", organization=org, read_only=True)
    url = f"{server.url}/api/v1/tasks/{task.uid}/formats/coco"
    headers = {"Authorization": f"Bearer {token}"}
    whole = requests.get(url, headers=headers, timeout=30)
    part = requests.get(url, headers={**headers, "Range": "bytes=0-9"}, timeout=30)
    assert whole.status_code == 200 and whole.headers["content-type"] == "application/zip"
    assert part.status_code == 206 and part.content == whole.content[:10]
    record = requests.get(f"{server.url}/api/v1/tasks/{task.uid}", headers=headers, timeout=30)
    assert record.json()["formats"][0]["output"] == "formats/coco.zip"


def test_the_third_party_format_converts_remotely_and_during_an_export(
    remote: Client, tmp_path: Path
) -> None:
    project = remote.get_project(_labelled_project(remote))
    task = _finished(project.export())
    report = task.convert("box_csv", tmp_path / "boxes", {"prefix": "x-"})
    assert report.ok
    with open(tmp_path / "boxes" / "boxes.csv") as f:
        assert [row[1:] for row in list(csv.reader(f))[1:]] == [
            ["x-car", "2.0", "1.0", "4.0", "3.0"]
        ]
    # formats named when the export starts are written inside the task's folder
    exported = _finished(project.export(formats=["coco", {"name": "box_csv", "strict": False}]))
    assert sorted(r["format"] for r in exported.format_reports) == ["box_csv", "coco"]
    got = exported.download_format("box_csv", tmp_path / "during.zip")
    assert got.ok and zipfile.ZipFile(tmp_path / "during.zip").read("boxes.csv")
    with pytest.raises(NotFound):
        exported.download_format("voc", tmp_path / "none")


def test_bad_formats_are_refused_with_the_embedded_message(
    server: RowportServer,
    remote: Client,
    org: str,
    tmp_path: Path,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(site))  # the embedded client has the server's plugins
    project_id = _labelled_project(remote)
    task = _finished(remote.get_project(project_id).export())
    tasks_before = len(remote.get_tasks())
    bad = (("cocoo", {}), ("coco", {"nope": 1}), ("coco", {"include_unlabeled": "yes"}))
    with Client(organization_home(server.home, org)) as embedded:
        local = embedded.get_task(task.uid)
        for format, options in bad:
            with pytest.raises(InvalidInput) as want:
                local.convert(format, tmp_path / "e", options)
            with pytest.raises(InvalidInput) as got:
                task.convert(format, tmp_path / "r", options)
            assert str(got.value) == str(want.value)
            asked = {"name": format, "output": str(tmp_path / "x"), "options": options}
            with pytest.raises(InvalidExportRequest) as want_export:
                embedded.get_project(project_id).export(formats=[asked])
            with pytest.raises(InvalidExportRequest) as got_export:
                remote.get_project(project_id).export(
                    formats=[{"name": format, "options": options}]
                )
            assert str(got_export.value) == str(want_export.value)
    assert len(remote.get_tasks()) == tasks_before  # no task was started
    with pytest.raises(InvalidExportRequest, match="names no output"):
        remote.get_project(project_id).export(formats=[("coco", str(tmp_path / "out"))])
    assert not (tmp_path / "r").exists() and not (tmp_path / "out").exists()


def test_read_only_keys_cannot_convert_and_other_organizations_tasks_are_not_found(
    server: RowportServer, remote: Client, org: str, tmp_path: Path
) -> None:
    task = _finished(remote.get_project(_labelled_project(remote)).export())
    readonly = server.create_key("ro", organization=org, read_only=True)
    with Client(server.url, api_key=readonly) as reader:
        with pytest.raises(AccessDenied, match="read-only"):
            reader.get_task(task.uid).convert("coco", tmp_path / "ro")
        assert not (tmp_path / "ro").exists()
    other_token = server.create_key("x", organization="someone-else")
    with Client(server.url, api_key=other_token) as other, pytest.raises(NotFound):
        other.get_task(task.uid).convert("coco", tmp_path / "other")
    headers = {"Authorization": f"Bearer {other_token}"}
    url = f"{server.url}/api/v1/tasks/{task.uid}"
    for answer in (
        requests.post(f"{url}/convert", json={"format": "coco"}, headers=headers, timeout=30),
        requests.get(f"{url}/formats", headers=headers, timeout=30),
        requests.get(f"{url}/formats/coco", headers=headers, timeout=30),
        requests.get(f"{url}/formats/..%2F..%2Fcatalog.db", headers=headers, timeout=30),
    ):
        assert answer.status_code == 404, answer.text


def test_the_command_line_converts_a_remote_task(
    server: RowportServer, remote: Client, org: str, tmp_path: Path, site: Path
) -> None:
    task = _finished(remote.get_project(_labelled_project(remote)).export())
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROWPORT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "core"), str(ROOT / "plugins")])
    token = server.create_key("cli", organization=org)
    remote_cli = [sys.executable, "-m", "rowport", "--url", server.url, "--api-key", token]
    done = subprocess.run(
        [
            *remote_cli,
            "tasks",
            "convert",
            task.uid,
            "--format",
            "box_csv",
            "-o",
            str(tmp_path / "cli"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "box_csv: 1 of 2 rows written" in done.stderr
    assert (tmp_path / "cli" / "boxes.csv").read_text().count("\n") == 2
