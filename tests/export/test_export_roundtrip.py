"""``export(import(x)) == x``: the reference's samples, the rich catalog and the demo catalog."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from export_support import (
    PROJECT_SECTION_PARAMS,
    ROW_PARAMS,
    RUN_SECTION_PARAMS,
    RichCatalog,
    result_bytes,
    result_rows,
)

import rowport
from rowport import DataRow, ExportTask

ALL_PROJECT = dict.fromkeys((*ROW_PARAMS, *PROJECT_SECTION_PARAMS), True)
ALL_RUN = dict.fromkeys((*ROW_PARAMS, *RUN_SECTION_PARAMS), True)
ALL_CATALOG = {
    **dict.fromkeys((*ROW_PARAMS, *PROJECT_SECTION_PARAMS, *RUN_SECTION_PARAMS), True),
    "all_projects": True,
    "all_model_runs": True,
}

# An export of the rich catalog, and the same export of another client's catalog.
Scope = Callable[[rowport.Client, RichCatalog], ExportTask]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[rowport.Client]:
    """A client on an empty home."""
    with rowport.Client(tmp_path / "fresh") as client:
        yield client


# -- the reference's samples ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["image.json", "image_unlabeled.json"])
def test_sample_row_exports_as_it_was_imported(
    samples: Path, fresh: rowport.Client, name: str
) -> None:
    sample = orjson.loads((samples / name).read_bytes())
    report = fresh.import_file(samples / name, strict=True)
    assert (report.loaded, report.failed) == (1, 0)
    (project_id,) = sample["projects"]
    assert result_rows(fresh.get_project(project_id).export()) == [sample]


def test_unlabelled_sample_exports_with_its_key_order(
    samples: Path, fresh: rowport.Client, tmp_path: Path
) -> None:
    # image_unlabeled.json keeps the reference's own key order, so the bytes match too
    sample = orjson.loads((samples / "image_unlabeled.json").read_bytes())
    fresh.import_file(samples / "image_unlabeled.json", strict=True)
    (project_id,) = sample["projects"]
    task = fresh.get_project(project_id).export()
    assert result_bytes(task, tmp_path / "out.ndjson") == orjson.dumps(sample) + b"\n"


def test_both_samples_in_one_home_export_from_their_own_projects(
    samples: Path, fresh: rowport.Client
) -> None:
    loaded = [
        orjson.loads((samples / n).read_bytes()) for n in ("image.json", "image_unlabeled.json")
    ]
    fresh.import_rows(loaded, strict=True)
    for sample in loaded:
        (project_id,) = sample["projects"]
        assert result_rows(fresh.get_project(project_id).export()) == [sample]


# -- the rich catalog -------------------------------------------------------------------------

SCOPES: dict[str, Scope] = {
    "project": lambda c, r: c.get_project(r.project.uid).export(params=ALL_PROJECT),
    "project2": lambda c, r: c.get_project(r.project2.uid).export(params=ALL_PROJECT),
    "model_run": lambda c, r: c.get_model_run(r.run.uid).export(params=ALL_RUN),
    "model_run2": lambda c, r: c.get_model_run(r.run2.uid).export(params=ALL_RUN),
    "dataset": lambda c, r: c.get_dataset(r.alpha.uid).export(params=ALL_CATALOG),
    "text_dataset": lambda c, r: c.get_dataset(r.beta.uid).export(params=ALL_CATALOG),
    "catalog": lambda c, r: c.get_catalog().export(params=ALL_CATALOG),
    "data_rows": lambda c, r: DataRow.export(
        c, data_rows=[r.rows[1].uid, r.texts[0].uid], params=ALL_CATALOG
    ),
}


@pytest.mark.parametrize("scope", SCOPES)
def test_rich_export_reimported_into_a_fresh_home_exports_byte_identical(
    rich: RichCatalog, fresh: rowport.Client, tmp_path: Path, scope: str
) -> None:
    first = result_bytes(SCOPES[scope](rich.client, rich), tmp_path / "first.ndjson")
    assert first.count(b"\n") >= 1
    report = fresh.import_file(tmp_path / "first.ndjson", strict=True)
    assert report.ok, report.errors
    second = result_bytes(SCOPES[scope](fresh, rich), tmp_path / "second.ndjson")
    assert second == first


def test_rich_export_fills_every_section(rich: RichCatalog, tmp_path: Path) -> None:
    # the byte-identical round trip above proves something only if the sections are not empty
    rows = [
        orjson.loads(line)
        for line in result_bytes(SCOPES["dataset"](rich.client, rich), tmp_path / "x").splitlines()
    ]
    row = rows[0]
    assert row["attachments"] and row["metadata_fields"] and row["embeddings"]
    assert row["data_row"]["details"]
    project = row["projects"][rich.project.uid]
    assert project["project_details"]["workflow_history"]
    # project_tags belong to project exports only (issue 10)
    project_rows = result_bytes(SCOPES["project"](rich.client, rich), tmp_path / "p")
    assert all(
        orjson.loads(line)["projects"][rich.project.uid]["project_tags"]
        for line in project_rows.splitlines()
    )
    (label,) = project["labels"]
    assert label["label_details"]["reviews"] and label["performance_details"]
    run = row["experiments"][rich.model.uid]["runs"][rich.run.uid]
    assert run["labels"] and run["predictions"] and run["split"]


def test_importing_an_export_twice_changes_nothing(
    rich: RichCatalog, fresh: rowport.Client, tmp_path: Path
) -> None:
    first = result_bytes(SCOPES["catalog"](rich.client, rich), tmp_path / "first.ndjson")
    fresh.import_file(tmp_path / "first.ndjson", strict=True)
    again = fresh.import_file(tmp_path / "first.ndjson", strict=True)
    assert (again.loaded, again.failed) == (0, 0)
    assert result_bytes(SCOPES["catalog"](fresh, rich), tmp_path / "second.ndjson") == first


# -- the demo catalog -------------------------------------------------------------------------

MEDIA_TYPES = [m.value for m in rowport.MediaType]
DEMO_BULK_ROWS = 100  # the demo's bulk image rows, kept few so the module stays fast


def _build_demo() -> Callable[..., Any]:
    try:
        demo = importlib.import_module("rowport.demo")
    except ImportError:
        demo = None
    build = getattr(demo, "build_demo", None)
    if build is None:
        pytest.skip("rowport.demo.build_demo is not available yet")
    return build  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[rowport.Client, Any]]:
    """A client on a home holding the demo catalog, and what ``build_demo`` returned.

    Skips until ``rowport.demo.build_demo`` exists.
    """
    build = _build_demo()
    root = tmp_path_factory.mktemp("demo")
    kwargs = (
        {"bulk_rows": DEMO_BULK_ROWS} if "bulk_rows" in inspect.signature(build).parameters else {}
    )
    with rowport.Client(root / "home") as client:
        built = build(client, root / "media", **kwargs)
        yield client, built


def _round_trip(
    start: Callable[[rowport.Client], ExportTask], source: rowport.Client, work: Path
) -> tuple[bytes, bytes]:
    """Export from ``source``, import into a fresh home under ``work``, export again there."""
    first = result_bytes(start(source), work / "first.ndjson")
    assert first, "the export is empty"
    with rowport.Client(work / "fresh") as fresh:
        report = fresh.import_file(work / "first.ndjson", strict=True)
        assert report.ok, report.errors[:3]
        second = result_bytes(start(fresh), work / "second.ndjson")
    return first, second


def _demo_project_ids(built: Any, media: str) -> str:
    ids = getattr(built, "project_ids", None)
    if not isinstance(ids, dict) or media not in ids:
        pytest.skip(f"the demo has no {media} project")
    return str(ids[media])


@pytest.mark.parametrize("media", MEDIA_TYPES)
def test_demo_project_round_trips_byte_identical(
    demo: tuple[rowport.Client, Any], tmp_path: Path, media: str
) -> None:
    client, built = demo
    project_id = _demo_project_ids(built, media)
    first, second = _round_trip(
        lambda c: c.get_project(project_id).export(params=ALL_PROJECT), client, tmp_path
    )
    assert second == first


def test_demo_projects_are_all_covered(demo: tuple[rowport.Client, Any]) -> None:
    client, built = demo
    named = set(getattr(built, "project_ids", {}).values())
    named |= set(getattr(built, "broken_project_ids", {}).values())
    assert {p.uid for p in client.get_projects()} <= named


def test_demo_broken_projects_round_trip_byte_identical(
    demo: tuple[rowport.Client, Any], tmp_path: Path
) -> None:
    client, built = demo
    broken = getattr(built, "broken_project_ids", {})
    if not broken:
        pytest.skip("the demo has no broken projects")
    for media, project_id in broken.items():
        first, second = _round_trip(
            lambda c, pid=project_id: c.get_project(pid).export(params=ALL_PROJECT),
            client,
            tmp_path / media,
        )
        assert second == first, media


def test_demo_model_run_round_trips_byte_identical(
    demo: tuple[rowport.Client, Any], tmp_path: Path
) -> None:
    client, built = demo
    run_id = getattr(built, "model_run_id", None)
    if run_id is None:
        pytest.skip("the demo has no model run")
    first, second = _round_trip(
        lambda c: c.get_model_run(run_id).export(params=ALL_RUN), client, tmp_path
    )
    assert second == first


def test_demo_catalog_round_trips_byte_identical(
    demo: tuple[rowport.Client, Any], tmp_path: Path
) -> None:
    client, _ = demo
    first, second = _round_trip(
        lambda c: c.get_catalog().export(params=ALL_CATALOG), client, tmp_path
    )
    assert second == first
