"""``rowport media probe`` end to end, and ``--plugin-option media.fetch=...`` on exports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result
from media_probe_support import PNG_ATTRIBUTES, image_project

from rowport import Client
from rowport.cli import main
from rowport.testing import MediaServer


def _run(home: Path, *args: str) -> Result:
    argv: Sequence[str] = ["--home", str(home), *args]
    return CliRunner().invoke(main, argv, catch_exceptions=False)


@pytest.fixture
def catalog(tmp_path: Path, server: MediaServer) -> dict[str, Any]:
    home = tmp_path / "cli-home"
    with Client(home) as client:
        dataset, project, rows = image_project(
            client,
            [
                {"row_data": server.url("a.png"), "global_key": "a"},
                {
                    "row_data": server.url("b.png"),
                    "global_key": "b",
                    "media_attributes": {"height": 24, "width": 32, "mime_type": "image/png"},
                },
            ],
        )
    return {"home": home, "dataset": dataset.uid, "project": project.uid, "rows": rows}


def test_probe_a_dataset_prints_the_task_id_and_a_summary(
    catalog: dict[str, Any], server: MediaServer
) -> None:
    result = _run(catalog["home"], "media", "probe", "--dataset", catalog["dataset"])

    assert result.exit_code == 0, result.stderr
    task_id = result.stdout.strip()
    assert "COMPLETE: probed 2 rows: 1 updated, 1 unchanged, 0 failed; 0 errors" in result.stderr
    assert f"task {task_id}" in result.stderr
    assert {p for p, _ in server.requests} == {"/a.png"}
    with Client(catalog["home"]) as client:
        task = client.get_task(task_id)
        assert (task.type, task.status) == ("probe-media", "COMPLETE")
        assert client.get_data_row(catalog["rows"][0].uid).media_attributes == PNG_ATTRIBUTES

    # the next export reads nothing and shows what the probe stored
    before = len(server.requests)
    result = _run(catalog["home"], "export", "dataset", catalog["dataset"])
    assert result.exit_code == 0, result.stderr
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["media_attributes"] == PNG_ATTRIBUTES
    assert len(server.requests) == before


def test_probe_all_of_a_project_rereads_rows_with_attributes(
    catalog: dict[str, Any], server: MediaServer
) -> None:
    result = _run(catalog["home"], "media", "probe", "--project", catalog["project"], "--all")
    assert result.exit_code == 0, result.stderr
    assert "probed 2 rows: 2 updated, 0 unchanged, 0 failed" in result.stderr
    assert {p for p, _ in server.requests} == {"/a.png", "/b.png"}


def test_probe_of_the_whole_catalog_and_no_wait(catalog: dict[str, Any]) -> None:
    result = _run(catalog["home"], "media", "probe", "--no-wait")
    assert result.exit_code == 0, result.stderr
    task_id = result.stdout.strip()
    with Client(catalog["home"]) as client:
        task = client.get_task(task_id)
        task.wait_till_done(timeout_seconds=60)
        assert task.status == "COMPLETE"
        assert task.metadata["request"]["kind"] == "catalog"


def test_probe_errors_are_counted_and_pointed_to(tmp_path: Path) -> None:
    home = tmp_path / "h"
    with Client(home) as client:
        dataset = client.create_dataset("d")
        dataset.create_data_rows(
            [{"row_data": str(tmp_path / "missing.pdf"), "media_type": "document"}]
        )
    result = _run(home, "media", "probe", "--dataset", dataset.uid)
    assert result.exit_code == 0, result.stderr
    task_id = result.stdout.strip()
    assert "probed 1 row: 0 updated, 0 unchanged, 1 failed; 1 error" in result.stderr
    assert f"rowport tasks stream {task_id} --errors" in result.stderr
    errors = _run(home, "tasks", "stream", task_id, "--errors")
    assert orjson.loads(errors.stdout.splitlines()[0])["code"] == "MEDIA_NOT_FOUND"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "x", "--project", "y"], "give --dataset or --project, not both"),
        (
            ["--plugin-option", "media.fetch=always"],
            "a media probe reads media by definition: drop --plugin-option media.fetch"
            " (--all re-reads rows that have attributes)",
        ),
        (["--plugin-option", "media.timeout=-1"], "media.timeout must be a number"),
        (["--plugin-option", "nokey"], "must look like KEY=VALUE"),
    ],
)
def test_bad_probe_usage_exits_2_without_a_task(
    catalog: dict[str, Any], args: list[str], message: str
) -> None:
    result = _run(catalog["home"], "media", "probe", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    with Client(catalog["home"]) as client:
        assert client.get_tasks() == []


def test_export_plugin_option_media_fetch_nests_and_is_checked(
    catalog: dict[str, Any], server: MediaServer
) -> None:
    bad = _run(
        catalog["home"],
        "export",
        "dataset",
        catalog["dataset"],
        "--plugin-option",
        "media.fetch=yes",
    )
    assert bad.exit_code == 2
    assert "media.fetch must be one of 'off', 'missing', 'always', got 'yes'" in bad.stderr

    good = _run(
        catalog["home"],
        "export",
        "dataset",
        catalog["dataset"],
        "--plugin-option",
        "media.fetch=missing",
    )
    assert good.exit_code == 0, good.stderr
    rows = {r["data_row"]["global_key"]: r for r in map(orjson.loads, good.stdout.splitlines())}
    assert rows["a"]["media_attributes"] == PNG_ATTRIBUTES
    assert {p for p, _ in server.requests} == {"/a.png"}


def test_help_lists_media() -> None:
    result = CliRunner().invoke(main, ["media", "probe", "--help"])
    assert result.exit_code == 0
    for text in ("--dataset", "--project", "--only-missing / --all", "--plugin-option"):
        assert text in result.stdout
