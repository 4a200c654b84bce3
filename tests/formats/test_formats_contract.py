"""The contract every format shares: options checked with clear messages, output staged and
renamed (directory or zip), the lossiness report, strict mode, and conversion during an export,
afterwards from a finished task, and from the command line."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rowport import Client
from rowport.cli import main
from rowport.errors import InvalidExportRequest, InvalidInput
from rowport.formats import FormatLossError
from rowport.tasks import StreamType

BOX = {"top": 10.0, "left": 20.0, "height": 30.0, "width": 40.0}
POLYGON = [
    {"x": 1.0, "y": 1.0},
    {"x": 50.0, "y": 1.0},
    {"x": 50.0, "y": 40.0},
    {"x": 1.0, "y": 1.0},
]


def _annotations(i: int) -> dict[str, Any]:
    objects: list[dict[str, Any]] = [
        {"name": "car", "annotation_kind": "ImageBoundingBox", "bounding_box": BOX}
    ]
    if i == 1:
        objects.append({"name": "lot", "annotation_kind": "ImagePolygon", "polygon": POLYGON})
    return {"objects": objects, "classifications": [], "relationships": []}


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, str]:
    """A home with one image project of 4 rows, 3 labelled (the second with a polygon)."""
    path = tmp_path / "home"
    with Client(path) as client:
        dataset = client.create_dataset("shots")
        rows = dataset.create_data_rows(
            [
                {
                    "row_data": f"https://img.example/{i}.jpg",
                    "global_key": f"shot-{i}",
                    "media_type": "image",
                    "media_attributes": {"width": 100, "height": 80, "asset_type": "image"},
                }
                for i in range(4)
            ]
        )
        ontology = client.create_ontology(
            "cars",
            [{"tool": "bbox", "name": "car"}, {"tool": "polygon", "name": "lot"}],
            [],
            media_type="image",
        )
        project = client.create_project("cars", "image", ontology)
        project.create_batch("all", data_rows=[r.uid for r in rows])
        project.import_labels(
            [{"data_row_id": r.uid, "annotations": _annotations(i)} for i, r in enumerate(rows[:3])]
        )
        return path, project.uid


def _export(home: tuple[Path, str], **kwargs: Any) -> Any:
    path, project_id = home
    client = Client(path)
    task = client.get_project(project_id).export(**kwargs)
    task.wait_till_done()
    return client, task


def test_a_format_written_during_an_export_is_in_place_when_the_task_completes(
    home: tuple[Path, str], tmp_path: Path
) -> None:
    client, task = _export(home, formats=[{"name": "yolo", "output": tmp_path / "yolo"}])
    with client:
        assert task.status == "COMPLETE"
        labels = sorted(p.name for p in (tmp_path / "yolo" / "labels" / "train").iterdir())
        assert len(labels) == 3
        (report,) = task.format_reports
        assert report["status"] == "complete" and report["rows_written"] == 3
        assert report["rows_read"] == 4
        lossiness = json.loads((tmp_path / "yolo" / "lossiness.json").read_text())
        assert lossiness["losses"]["polygon_to_box"]["count"] == 1
        assert lossiness["losses"]["row_unlabeled_skipped"]["count"] == 1
        example = lossiness["losses"]["polygon_to_box"]["example_data_row_id"]
        rows = [json.loads(line.json_str) for line in task.stream(follow=False)]
        assert example == next(
            r["data_row"]["id"] for r in rows if r["data_row"]["global_key"] == "shot-1"
        )
        # no temporary directory is left beside the output
        assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "yolo"]


def test_a_finished_task_converts_to_a_zip_without_exporting_again(
    home: tuple[Path, str], tmp_path: Path
) -> None:
    client, task = _export(home)
    with client:
        report = task.convert("coco", tmp_path / "out.zip", {"include_unlabeled": True})
        with zipfile.ZipFile(tmp_path / "out.zip") as archive:
            assert sorted(archive.namelist()) == ["annotations/instances.json", "lossiness.json"]
            data = json.loads(archive.read("annotations/instances.json"))
        assert len(data["images"]) == 4 and report.rows_written == 4
        assert json.loads((tmp_path / "out.lossiness.json").read_text())["rows_written"] == 4
        assert [r["output"] for r in task.format_reports] == [str(tmp_path / "out.zip")]
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "home",
            "out.lossiness.json",
            "out.zip",
        ]


def test_strict_fails_on_the_first_loss_and_publishes_nothing(
    home: tuple[Path, str], tmp_path: Path
) -> None:
    client, task = _export(home)
    with client:
        with pytest.raises(FormatLossError, match=r"polygon_to_box .* in data row \w+"):
            task.convert("voc", tmp_path / "voc", strict=True, options={"include_unlabeled": True})
        assert not (tmp_path / "voc").exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
        assert task.format_reports[-1]["status"] == "failed"
        # a lossless conversion passes strict
        report = task.convert("coco", tmp_path / "coco", {"include_unlabeled": True}, strict=True)
        assert report.lossless


def test_strict_during_an_export_reports_the_format_failed_and_keeps_the_rows(
    home: tuple[Path, str], tmp_path: Path
) -> None:
    client, task = _export(
        home, formats=[{"name": "yolo", "output": str(tmp_path / "y"), "strict": True}]
    )
    with client:
        assert task.status == "COMPLETE"
        assert task.get_total_lines(StreamType.RESULT) == 4
        errors = [json.loads(x.json_str) for x in task.stream(StreamType.ERRORS, follow=False)]
        assert [e["code"] for e in errors] == ["FORMAT_FAILED"]
        assert errors[0]["details"]["format"] == "yolo"
        assert not (tmp_path / "y").exists()


@pytest.mark.parametrize(
    ("formats", "message"),
    [
        (
            [{"name": "cocoo", "output": "x"}],
            "no format is registered as 'cocoo'; registered formats: chat, coco",
        ),
        (
            [{"name": "yolo", "output": "x", "options": {"task": "pose"}}],
            "option 'task' must be one of 'detect', 'segment', got 'pose'",
        ),
        (
            [{"name": "yolo", "output": "x", "options": {"tasks": "detect"}}],
            "format 'yolo' has no option 'tasks'; its options: project, include_unlabeled, task",
        ),
        (
            [{"name": "coco", "output": "x", "options": {"splits": "yes"}}],
            "option 'splits' must be true or false, got 'yes'",
        ),
        (
            [{"name": "coco", "output": "x", "options": {"class_map": {"car": 0}}}],
            "class_map['car'] must be a whole number from 1, got 0",
        ),
        ([{"name": "coco"}], "formats[0] ('coco') needs an output path"),
        ([("coco", "x"), ("yolo", "x")], "two formats name the same output path"),
    ],
)
def test_bad_formats_are_refused_before_a_task_exists(
    home: tuple[Path, str],
    formats: list[Any],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    path, project_id = home
    with Client(path) as client:
        before = len(client.get_tasks())
        with pytest.raises(InvalidExportRequest) as raised:
            client.get_project(project_id).export(formats=formats)
        assert message in str(raised.value)
        assert len(client.get_tasks()) == before


def test_an_existing_output_is_refused_unless_overwrite(
    home: tuple[Path, str], tmp_path: Path
) -> None:
    client, task = _export(home)
    with client:
        (tmp_path / "coco").mkdir()
        (tmp_path / "coco" / "old.txt").write_text("keep me")
        with pytest.raises(InvalidInput, match="exists; choose a new path or pass overwrite"):
            task.convert("coco", tmp_path / "coco")
        assert (tmp_path / "coco" / "old.txt").exists()
        task.convert("coco", tmp_path / "coco", overwrite=True)
        assert sorted(p.name for p in (tmp_path / "coco").iterdir()) == [
            "annotations",
            "lossiness.json",
        ]


def test_the_cli_writes_a_format_during_an_export_and_converts_a_finished_task(
    home: tuple[Path, str], tmp_path: Path
) -> None:
    path, project_id = home
    runner = CliRunner()
    done = runner.invoke(
        main,
        [
            "--home",
            str(path),
            "export",
            "project",
            project_id,
            "--format",
            "yolo",
            "--format-option",
            "task=segment",
            "-o",
            str(tmp_path / "seg"),
        ],
        catch_exceptions=False,
    )
    assert done.exit_code == 0, done.output
    assert done.stdout == ""  # the rows are not printed
    assert (
        "yolo: 3 of 4 rows written to" in done.stderr and "row_unlabeled_skipped 1" in done.stderr
    )
    assert (tmp_path / "seg" / "data.yaml").exists()
    with Client(path) as client:
        task_id = client.get_tasks()[0].uid
    converted = runner.invoke(
        main,
        [
            "--home",
            str(path),
            "tasks",
            "convert",
            task_id,
            "--format",
            "voc",
            "-o",
            str(tmp_path / "voc"),
            "--strict-format",
        ],
        catch_exceptions=False,
    )
    assert converted.exit_code == 1
    assert "polygon_to_box" in converted.stderr and not (tmp_path / "voc").exists()
    shown = runner.invoke(main, ["--home", str(path), "tasks", "show", task_id, "--json"])
    formats = json.loads(shown.stdout)["formats"]
    assert [(f["format"], f["status"]) for f in formats] == [
        ("yolo", "complete"),
        ("voc", "failed"),
    ]
    bad = runner.invoke(
        main,
        [
            "--home",
            str(path),
            "tasks",
            "convert",
            task_id,
            "--format",
            "yolo",
            "--format-option",
            "task=pose",
            "-o",
            str(tmp_path / "x"),
        ],
    )
    assert bad.exit_code == 2 and "option 'task' must be one of 'detect', 'segment'" in bad.stderr
    listed = runner.invoke(main, ["plugins"], catch_exceptions=False)
    assert "    formats: coco" in listed.stdout and "rowport_register_formats" in listed.stdout


def test_a_format_that_no_longer_builds_when_the_task_starts_fails_without_raising(
    tmp_path: Path,
) -> None:
    from rowport.formats import FormatDelivery, read_reports
    from rowport.plugins import PluginHost

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file").write_text("someone else's")
    delivery = FormatDelivery.from_options(
        PluginHost.load(autoload=False),
        [{"name": "coco", "output": str(taken)}],
        result_dir=tmp_path / "result",
        task_dir=tmp_path,
    )
    delivery.open(None)  # type: ignore[arg-type]
    (line,) = delivery.close({})
    assert line["code"] == "FORMAT_FAILED" and "exists" in line["message"]
    assert read_reports(tmp_path)[0]["status"] == "failed"
    assert (taken / "file").read_text() == "someone else's"
