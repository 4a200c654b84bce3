"""The document plugin inside real exports: page counts and page sizes read from real PDFs,
page and box checks (one ERRORS line per bad annotation), filled page_dimensions and media
attributes, and the demo catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from media_document_support import (
    PAGES,
    PDF_ATTRIBUTES,
    PLUGIN,
    Server,
    box,
    by_key,
    entity,
    label,
    make_project,
    run_export,
    write_pdf,
)

import rowport
import rowport_plugins._formats.pdf
import rowport_plugins.document
from rowport.demo import build_demo
from rowport.testing import make_client, make_context, make_row, objects_of, run_plugin


def test_good_row_gets_page_count_and_per_page_dimensions(
    client: rowport.Client, pdf: Path
) -> None:
    project, rows = make_project(client, [{"row_data": str(pdf), "global_key": "good"}])
    objects = [
        box(1, 40, 50, 60, 500, name="title block"),
        box(2, 100, 60, 300, 700),  # wider than page 1: fits only on the landscape page 2
        box(1, 10, 10, 10, 10, dims=(600.0, 800.0)),  # present page_dimensions: never changed
        entity(1, 2),
    ]
    project.import_labels([label(rows[0], *objects)])
    (before,), _ = run_export(project, plugin_options={"media": {"fetch": False}})

    (row,), errors = run_export(project, media_fetch="missing")

    assert errors == []
    assert row["media_attributes"] == PDF_ATTRIBUTES
    got = objects_of(row)
    assert got[0]["page_dimensions"] == {"height": 792.0, "width": 612.0}
    assert got[1]["page_dimensions"] == {"height": 595.0, "width": 842.0}
    assert got[2]["page_dimensions"] == {"height": 800.0, "width": 600.0}
    assert "page_dimensions" not in got[3]
    # only the documented additions
    for obj in got[:2]:
        obj.pop("page_dimensions")  # type: ignore[attr-defined]
    assert orjson.dumps({**row, "media_attributes": {}}) == orjson.dumps(
        {**before, "media_attributes": {}}
    )
    assert client.get_data_row(rows[0].uid).media_attributes == PDF_ATTRIBUTES


def test_a_complete_row_with_stored_attributes_is_byte_identical(
    client: rowport.Client, pdf: Path
) -> None:
    stored = {"asset_type": "pdf", "mime_type": "application/pdf", "page_count": 2}
    project, rows = make_project(
        client, [{"row_data": pdf.as_uri(), "global_key": "k", "media_attributes": stored}]
    )
    project.import_labels([label(rows[0], box(2, 10, 10, 10, 10, dims=PAGES[1]), entity(2))])
    (before,), _ = run_export(project, plugin_options={"media": {"fetch": False}})
    (row,), errors = run_export(project)
    assert errors == []
    assert orjson.dumps(row) == orjson.dumps(before)


@pytest.mark.parametrize("how", ["path", "file_url", "http"])
def test_the_pdf_is_read_once_per_export_by_path_file_url_and_http(
    client: rowport.Client, pdf: Path, server: Server, how: str
) -> None:
    source = {"path": str(pdf), "file_url": pdf.as_uri(), "http": server.url(pdf.name)}[how]
    specs = [{"row_data": source, "global_key": f"r{i}"} for i in range(3)]
    project, rows = make_project(client, specs)
    project.import_labels([label(row, box(2, 1, 1, 1, 1), box(1, 2, 2, 2, 2)) for row in rows])

    exported, errors = run_export(project, media_fetch="missing")

    assert errors == []
    for row in exported:
        assert row["media_attributes"] == PDF_ATTRIBUTES
        assert [o["page_dimensions"]["width"] for o in objects_of(row)] == [842.0, 612.0]
    if how == "http":
        assert server.hits[f"/{pdf.name}"] == 1


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("page-3-of-2", box(3, 10, 10, 10, 10), "PAGE_OUT_OF_RANGE"),
    ("page-0", box(0, 10, 10, 10, 10), "PAGE_OUT_OF_RANGE"),
    ("page-as-string", box("1", 10, 10, 10, 10), "PAGE_OUT_OF_RANGE"),
    # 700 points wide fits page 2 (842) but not page 1 (612)
    ("too-wide-for-page-1", box(1, 100, 60, 300, 700), "BBOX_OUT_OF_BOUNDS"),
    ("below-page-2", box(2, 500, 10, 100, 10), "BBOX_OUT_OF_BOUNDS"),
    ("negative-left", box(1, 10, -5, 10, 10), "BBOX_OUT_OF_BOUNDS"),
    ("negative-size", box(1, 10, 10, -3, 10), "BBOX_INVALID"),
    ("entity-page-3", entity(1, 3), "PAGE_OUT_OF_RANGE"),
    (
        "entity-no-groups",
        {"name": "invoice number", "annotation_kind": "DocumentEntityToken", "location": {}},
        "ENTITY_INVALID",
    ),
]


def test_each_bad_annotation_is_exactly_one_errors_line(client: rowport.Client, pdf: Path) -> None:
    specs = [{"row_data": str(pdf), "global_key": key} for key, _, _ in BAD]
    specs.append({"row_data": str(pdf), "global_key": "mixed"})
    project, rows = make_project(client, specs)
    labels = [label(row, obj) for row, (_, obj, _) in zip(rows, BAD, strict=False)]
    labels.append(label(rows[-1], box(1, 1, 1, 1, 1), BAD[0][1], box(2, 1, 1, 1, 900)))
    project.import_labels(labels)

    exported, errors = run_export(project, media_fetch="missing")

    assert len(exported) == len(rows)
    got = sorted((e["data_row"]["global_key"], e["code"]) for e in errors)
    expected = sorted(
        [(key, code) for key, _, code in BAD]
        + [("mixed", "PAGE_OUT_OF_RANGE"), ("mixed", "BBOX_OUT_OF_BOUNDS")]
    )
    assert got == expected
    ids = {row.uid for row in rows}
    for error in errors:
        assert error["plugin"] == PLUGIN
        assert error["data_row"]["id"] in ids
        assert error["details"]["name"] in error["message"]
        assert error["details"]["feature_id"]
    page3 = next(e for e in errors if e["data_row"]["global_key"] == "page-3-of-2")
    assert "2 page(s)" in page3["message"]
    assert page3["details"]["page_number"] == 3
    # the box on page 3 gets no page_dimensions; the rows are still written
    by = by_key(exported)
    assert "page_dimensions" not in objects_of(by["page-3-of-2"])[0]


def test_tolerance_option(client: rowport.Client, pdf: Path) -> None:
    project, rows = make_project(
        client,
        [
            {"row_data": str(pdf), "global_key": "slight"},
            {"row_data": str(pdf), "global_key": "2pt"},
        ],
    )
    project.import_labels(
        [
            label(rows[0], box(1, 0, 0, 792.3, 612.3)),  # within the default 0.5 pt
            label(rows[1], box(1, 0, 0, 10, 614)),
        ]
    )
    _, errors = run_export(project, media_fetch="missing")
    assert [(e["data_row"]["global_key"], e["code"]) for e in errors] == [
        ("2pt", "BBOX_OUT_OF_BOUNDS")
    ]
    _, errors = run_export(
        project, plugin_options={"document": {"tolerance": 5}}, media_fetch="missing"
    )
    assert errors == []


def test_unreadable_and_missing_pdfs_are_one_line_per_row(
    client: rowport.Client, media_dir: Path
) -> None:
    garbage = media_dir / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    project, rows = make_project(
        client,
        [
            {"row_data": str(garbage), "global_key": "garbage"},
            {"row_data": str(media_dir / "missing.pdf"), "global_key": "missing"},
            {"row_data": garbage.as_uri(), "global_key": "no-labels"},
        ],
    )
    project.import_labels(
        [label(rows[0], box(1, 1, 1, 1, 1), box(2, 1, 1, 1, 1)), label(rows[1], box(1, 1, 1, 1, 1))]
    )
    exported, errors = run_export(project, media_fetch="missing")
    assert sorted((e["data_row"]["global_key"], e["code"]) for e in errors) == [
        ("garbage", "MEDIA_UNREADABLE"),
        ("missing", "MEDIA_NOT_FOUND"),
        ("no-labels", "MEDIA_UNREADABLE"),
    ]
    assert all(e["plugin"] == PLUGIN for e in errors)
    for row in exported:
        assert row["media_attributes"] == {}
        assert all("page_dimensions" not in o for o in objects_of(row))


def test_without_fetching_the_stored_page_count_and_dimensions_are_used(
    client: rowport.Client, media_dir: Path
) -> None:
    stored = {"asset_type": "pdf", "mime_type": "application/pdf", "page_count": 2}
    project, rows = make_project(
        client,
        [
            {
                "row_data": "https://nowhere.invalid/x.pdf",
                "global_key": "s",
                "media_attributes": stored,
            }
        ],
    )
    project.import_labels(
        [
            label(
                rows[0],
                box(3, 1, 1, 1, 1),
                box(1, 1, 1, 10, 700, dims=PAGES[0]),
                box(2, 1, 1, 1, 1),
            )
        ]
    )
    (row,), errors = run_export(project, plugin_options={"media": {"fetch": False}})
    assert [e["code"] for e in errors] == ["PAGE_OUT_OF_RANGE", "BBOX_OUT_OF_BOUNDS"]
    assert "page_dimensions" not in objects_of(row)[2]


def test_page_sizes_are_cached_in_context_state(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "three.pdf", [(100, 200), (300, 400), (500, 600)])
    context = make_context(media={"fetch": "missing"})
    rows = [make_row("document", row_data=str(pdf)) for _ in range(2)]
    run = run_plugin(rowport_plugins.document, rows, context=context)
    assert run.problems == []
    assert [r["media_attributes"]["page_count"] for r in run.rows] == [3, 3]
    (cached,) = context.state["rowport_plugins.document.pages"].values()
    assert cached == [(100.0, 200.0), (300.0, 400.0), (500.0, 600.0)]
    assert rowport_plugins._formats.pdf.page_sizes(pdf.read_bytes()) == cached


def test_the_demo_document_project_is_clean_and_its_broken_row_is_caught(
    tmp_path: Path,
) -> None:
    with make_client(tmp_path, plugins=[rowport_plugins.document]) as client:
        demo = build_demo(client, tmp_path / "media", bulk_rows=0)
        project = client.get_project(demo.project_ids["document"])
        exported, errors = run_export(project)
        assert errors == []
        assert len(exported) == demo.row_counts["document"]

        broken = demo.broken["document_bbox_off_page"]
        project = client.get_project(demo.broken_project_ids["document"])
        _, errors = run_export(project)
        assert [(e["data_row"]["id"], e["code"], e["plugin"]) for e in errors] == [
            (broken.data_row_id, "BBOX_OUT_OF_BOUNDS", PLUGIN)
        ]
