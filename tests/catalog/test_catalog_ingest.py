"""Importing rows in the export format: ids kept, line-numbered errors, strict, idempotent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from rowport._ids import new_id
from rowport.client import Client
from rowport.errors import InvalidInput

Counts = Callable[[], dict[str, int]]


def _row(n: int) -> dict[str, Any]:
    return {
        "data_row": {
            "id": new_id(),
            "global_key": f"ingest-{n}",
            "row_data": f"https://example.com/{n}.jpg",
        },
        "media_attributes": {"asset_type": "image", "width": 10, "height": 10},
    }


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def ndjson(tmp_path: Path) -> Path:
    """Three good rows."""
    return _write(tmp_path / "rows.ndjson", [orjson.dumps(_row(i)) for i in range(3)])


@pytest.fixture
def malformed(tmp_path: Path) -> Path:
    """Three lines; line 2 is not JSON."""
    return _write(
        tmp_path / "bad.ndjson",
        [orjson.dumps(_row(0)), b'{"data_row": {"id": ', orjson.dumps(_row(2))],
    )


def test_sample_with_labels_imports_with_its_ids(client: Client, samples: Path) -> None:
    report = client.import_file(samples / "image.json")
    assert (report.loaded, report.failed) == (1, 0)
    row = client.get_data_row("clwyxjdbw2hor0887c048u5tx")
    assert row.global_key == "bc378cff-33fa-4732-8cf8-089d7f0c9361"
    assert row.media_type == "image"
    assert row.media_attributes is not None and row.media_attributes["width"] == 2560
    project = client.get_project("clwyxjn8e00fy07y3du1zc098")
    assert project.name == "Image Annotation Import Demo"
    (label,) = project.labels()
    assert label.uid == "clwyxjvsm1o20146z3i5tff6s"
    assert label.data_row_id == row.uid
    box = label.annotations["objects"][0]
    assert (box["feature_id"], box["feature_schema_id"]) == (
        "clwyxjvs91o1z146zceiaq2wt",
        "clwyxjmcl04py070o0miig1pk",
    )
    ontology = project.ontology()
    assert ontology is not None
    features = ontology.features()
    assert features["clwyxjmcl04py070o0miig1pk"] == "bounding_box"
    assert features["clwyxjmcm04qn070o3jwsg124"] == "first_sub_radio_answer"
    assert project.workflow_state(row)["selected_label_id"] == label.uid


def test_sample_without_labels_imports_with_its_ids(client: Client, samples: Path) -> None:
    report = client.import_file(samples / "image_unlabeled.json")
    assert (report.loaded, report.failed) == (1, 0)
    row = client.get_data_row_by_global_key("c740d811-545b-471b-9e3d-9bf23c27b959")
    assert row.uid == "clwvb31pp0inu07321a6egvtz"
    project = client.get_project("clwvb3dad02zz07ww8km7h1tf")
    assert project.name == "Quick Start Example Project"
    assert project.labels() == []
    assert project.workflow_state(row)["workflow_status"] == "TO_LABEL"


def test_samples_import_together(client: Client, samples: Path) -> None:
    rows = [
        orjson.loads((samples / n).read_bytes()) for n in ("image.json", "image_unlabeled.json")
    ]
    report = client.import_rows(rows)
    assert (report.lines, report.loaded, report.failed) == (2, 2, 0)
    assert len(client.get_projects()) == 2


def test_ndjson_file_loads_every_line(client: Client, ndjson: Path) -> None:
    report = client.import_file(ndjson)
    assert (report.lines, report.loaded, report.unchanged, report.failed) == (3, 3, 0, 0)
    assert client.get_data_row_by_global_key("ingest-2").media_type == "image"


def test_malformed_line_is_reported_with_its_number_and_reason(
    client: Client, malformed: Path
) -> None:
    report = client.import_file(malformed)
    assert report.failed == 1
    (error,) = report.errors
    assert error.line == 2
    assert "not valid JSON" in error.reason
    assert str(error).startswith("line 2: ")


def test_other_lines_load_around_a_malformed_one(client: Client, malformed: Path) -> None:
    report = client.import_file(malformed)
    assert report.loaded == 2
    assert client.get_data_row_by_global_key("ingest-0").global_key == "ingest-0"
    assert client.get_data_row_by_global_key("ingest-2").global_key == "ingest-2"


def test_strict_import_loads_nothing_when_a_line_is_bad(
    client: Client, malformed: Path, counts: Counts
) -> None:
    before = counts()
    report = client.import_file(malformed, strict=True)
    assert counts() == before
    assert (report.loaded, report.failed, report.committed) == (0, 1, False)
    assert report.errors[0].line == 2
    assert "strict: nothing was loaded" in report.summary()


def test_invalid_row_is_reported_with_its_reason(client: Client, tmp_path: Path) -> None:
    bad = _row(1)
    bad["colour"] = "red"
    path = _write(tmp_path / "r.ndjson", [orjson.dumps(_row(0)), orjson.dumps(bad)])
    report = client.import_file(path)
    (error,) = report.errors
    assert error.line == 2
    assert "unknown top-level keys colour" in error.reason


def test_loading_a_file_twice_changes_nothing(client: Client, ndjson: Path, counts: Counts) -> None:
    client.import_file(ndjson)
    after_first = counts()
    second = client.import_file(ndjson)
    assert counts() == after_first
    assert (second.loaded, second.unchanged, second.failed) == (0, 3, 0)


def test_loading_a_sample_twice_changes_nothing(
    client: Client, samples: Path, counts: Counts
) -> None:
    client.import_file(samples / "image.json")
    after_first = counts()
    second = client.import_file(samples / "image.json")
    assert counts() == after_first
    assert (second.loaded, second.unchanged) == (0, 1)


def test_import_keeps_given_global_key_unique(client: Client, tmp_path: Path) -> None:
    first, clash = _row(0), _row(0)
    path = _write(tmp_path / "r.ndjson", [orjson.dumps(first), orjson.dumps(clash)])
    report = client.import_file(path)
    assert report.loaded == 1
    assert report.errors[0].line == 2
    assert "global_key" in report.errors[0].reason
    assert client.get_data_row_by_global_key("ingest-0").uid == first["data_row"]["id"]


@pytest.mark.parametrize(
    ("rows", "given"),
    [
        ('{"data_row": {"id": "x"}}', "str"),
        (b'{"data_row": {"id": "x"}}', "bytes"),
        ({"data_row": {"id": "x"}}, "dict"),
        (None, "NoneType"),
        (5, "int"),
    ],
)
def test_rows_that_are_not_a_list_of_rows_are_refused_naming_what_is_allowed(
    client: Client, rows: Any, given: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        client.import_rows(rows)
    assert str(raised.value) == (
        f"rows must be a list or iterable of rows (dicts, JSON text or bytes), got {given};"
        " wrap one row in a list, or use import_file(path) for an NDJSON file"
    )
    assert client.get_datasets() == []


@pytest.mark.parametrize("batch_size", [0, "10", 2.5, True])
def test_a_batch_size_that_is_not_a_whole_number_is_refused(
    client: Client, batch_size: Any
) -> None:
    with pytest.raises(InvalidInput, match="batch_size must be a whole number of at least 1"):
        client.import_rows([_row(1)], batch_size=batch_size)
