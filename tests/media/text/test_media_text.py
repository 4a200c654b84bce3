"""The text plugin inside real exports: inline and fetched texts, code-point offsets, filled
tokens and attributes, one ERRORS line per bad annotation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from media_support import (
    Server,
    by_key,
    entity,
    make_project,
    run_export,
)

import rowport
from rowport.testing import objects_of

PLUGIN = "rowport_plugins.text"
# accents, a combining-free emoji outside the BMP, and a CJK name: offsets are code points
TEXT = "Zoë met José 👋 in Paris, then 李雷 in Zürich."


def _span(text: str, token: str) -> tuple[int, int]:
    start = text.index(token)
    return start, start + len(token) - 1


def _good_label(data_row: Any, text: str = TEXT) -> dict[str, Any]:
    s1, e1 = _span(text, "José")
    s2, e2 = _span(text, "Zürich")
    s3, e3 = _span(text, "李雷")
    return {
        "data_row_id": data_row.uid,
        "annotations": {
            "objects": [
                entity("person", s1, e1, "José"),
                entity("place", s2, e2),  # no token: filled in from the text
                entity("person", s3, e3),
            ],
            "classifications": [{"name": "tone", "radio_answer": {"name": "calm"}}],
            "relationships": [],
        },
    }


def test_inline_text_good_label_passes_with_filled_tokens_and_attributes(
    client: rowport.Client,
) -> None:
    project, rows = make_project(client, "text", [{"row_data": TEXT, "global_key": "inline"}])
    project.import_labels([_good_label(rows[0])])
    (before,), _ = run_export(
        project, plugin_options={"media": {"fetch": False}, "text": {"fill_token": False}}
    )

    exported, errors = run_export(project)

    assert errors == []
    (row,) = exported
    assert row["media_attributes"] == {"mime_type": "text/plain"}
    objects = objects_of(row)
    assert [o["location"]["token"] for o in objects] == ["José", "Zürich", "李雷"]
    # code points: "👋" counts 1 (2 in UTF-16, 4 in UTF-8 bytes), "李雷" 2
    assert objects[1]["location"] == {"start": 36, "end": 41, "token": "Zürich"}
    # nothing but the tokens and the attributes changed
    for obj in objects_of(before):
        obj["location"].pop("token", None)
    for obj in objects:
        obj["location"].pop("token")
    assert {**row, "media_attributes": {}} == {**before, "media_attributes": {}}
    # the attributes were cached in the catalog
    assert client.get_data_row(rows[0].uid).media_attributes == {"mime_type": "text/plain"}


def test_present_token_is_never_changed_and_stored_attributes_win(
    client: rowport.Client,
) -> None:
    project, rows = make_project(
        client,
        "text",
        [{"row_data": TEXT, "global_key": "k", "media_attributes": {"mime_type": "text/markdown"}}],
    )
    start, end = _span(TEXT, "Paris")
    project.import_labels(
        [
            {
                "data_row_id": rows[0].uid,
                "annotations": {"objects": [entity("place", start, end, "Paris")]},
            }
        ]
    )
    (row,), errors = run_export(project)
    assert errors == []
    assert row["media_attributes"] == {"mime_type": "text/markdown"}
    assert objects_of(row)[0]["location"] == {"start": start, "end": end, "token": "Paris"}


@pytest.mark.parametrize("how", ["path", "file_url", "http"])
def test_text_file_is_fetched_once_by_path_file_url_and_http(
    client: rowport.Client, media_dir: Path, server: Server, how: str
) -> None:
    (media_dir / "story.txt").write_text(TEXT, encoding="utf-8")
    source = {
        "path": str(media_dir / "story.txt"),
        "file_url": (media_dir / "story.txt").as_uri(),
        "http": server.url("story.txt"),
    }[how]
    project, rows = make_project(
        client,
        "text",
        [{"row_data": source, "global_key": "a"}, {"row_data": source, "global_key": "b"}],
    )
    project.import_labels([_good_label(rows[0]), _good_label(rows[1])])

    exported, errors = run_export(project, media_fetch="missing")

    assert errors == []
    for row in exported:
        assert row["data_row"]["row_data"] == source  # row_data stays the reference
        assert row["media_attributes"] == {"mime_type": "text/plain"}
        assert [o["location"]["token"] for o in objects_of(row)] == ["José", "Zürich", "李雷"]
    if how == "http":
        assert server.hits["/story.txt"] == 1  # 2 rows x 3 entities, one request


def test_http_url_without_extension_is_fetched_when_stored_mime_says_text(
    client: rowport.Client, media_dir: Path, server: Server
) -> None:
    (media_dir / "doc").write_text(TEXT, encoding="utf-8")
    url = server.url("doc")
    project, rows = make_project(
        client,
        "text",
        [
            {
                "row_data": url,
                "global_key": "fetched",
                "media_attributes": {"mime_type": "text/plain"},
            },
            {"row_data": url, "global_key": "inline"},  # no evidence: the URL is the text
        ],
    )
    start, end = _span(TEXT, "Paris")
    project.import_labels(
        [
            {"data_row_id": rows[0].uid, "annotations": {"objects": [entity("place", start, end)]}},
            {"data_row_id": rows[1].uid, "annotations": {"objects": [entity("place", 0, 3)]}},
        ]
    )
    for _ in range(2):  # the same decision on every export (attributes are not cached)
        exported, errors = run_export(project, media_fetch="missing")
        assert errors == []
        rows_by_key = by_key(exported)
        assert objects_of(rows_by_key["fetched"])[0]["location"]["token"] == "Paris"
        assert objects_of(rows_by_key["inline"])[0]["location"]["token"] == "http"
        assert rows_by_key["inline"]["media_attributes"] == {"mime_type": "text/plain"}
    assert client.get_data_row(rows[1].uid).media_attributes in (None, {})


def test_each_bad_entity_is_exactly_one_errors_line(client: rowport.Client) -> None:
    text = "Zoë 👋 José"  # 10 code points, 15 UTF-8 bytes
    project, rows = make_project(client, "text", [{"row_data": text, "global_key": "bad"}])
    bad = [
        ("past_end", entity("person", 6, 10), "ENTITY_OUT_OF_RANGE"),  # end == len: inclusive
        ("negative", entity("person", -1, 2), "ENTITY_OUT_OF_RANGE"),
        ("reversed", entity("person", 5, 4), "ENTITY_OUT_OF_RANGE"),
        ("not_int", entity("person", "6", 9), "ENTITY_INVALID"),
        ("no_location", {"name": "person", "annotation_kind": "TextEntity"}, "ENTITY_INVALID"),
        ("bytes_offset", entity("place", 6, 9, "Jos"), "TOKEN_MISMATCH"),
    ]
    project.import_labels(
        [
            {
                "data_row_id": rows[0].uid,
                "annotations": {
                    "objects": [entity("person", 6, 9, "José")] + [obj for _, obj, _ in bad]
                },
            }
        ]
    )

    (row,), errors = run_export(project)

    assert [e["code"] for e in errors] == [code for _, _, code in bad]
    label = row["projects"][project.uid]["labels"][0]
    for i, (error, (_, obj, _code)) in enumerate(zip(errors, bad, strict=True), start=1):
        path = f"projects.{project.uid}.labels[0].annotations.objects[{i}]"
        assert error["stage"] == "validate"
        assert error["plugin"] == PLUGIN
        assert error["data_row"] == {"id": rows[0].uid, "global_key": "bad"}
        assert path in error["message"] and obj["name"] in error["message"]
        details = error["details"]
        assert details["path"] == path and details["name"] == obj["name"]
        assert details["label_id"] == label["id"]
        assert details["feature_id"] == label["annotations"]["objects"][i]["feature_id"]
        assert details["text_length"] == 10
        assert details["start"] == obj.get("location", {}).get("start")
        assert details["end"] == obj.get("location", {}).get("end")
    assert errors[-1]["details"]["expected"] == "José"
    # the good entity still gets nothing changed; the mismatched token is kept as it was
    assert label["annotations"]["objects"][0]["location"]["token"] == "José"
    assert label["annotations"]["objects"][6]["location"]["token"] == "Jos"
    assert "token" not in label["annotations"]["objects"][1]["location"]  # invalid: not filled


def test_skip_policy_drops_the_row_with_a_bad_entity(client: rowport.Client) -> None:
    project, rows = make_project(
        client,
        "text",
        [{"row_data": "abc", "global_key": "ok"}, {"row_data": "abc", "global_key": "no"}],
    )
    project.import_labels(
        [
            {"data_row_id": rows[0].uid, "annotations": {"objects": [entity("person", 0, 2)]}},
            {"data_row_id": rows[1].uid, "annotations": {"objects": [entity("person", 0, 3)]}},
        ]
    )
    exported, errors = run_export(project, on_row_error="skip")
    assert [r["data_row"]["global_key"] for r in exported] == ["ok"]
    assert [(e["code"], e["data_row"]["global_key"]) for e in errors] == [
        ("ENTITY_OUT_OF_RANGE", "no")
    ]


def test_unreadable_texts_are_one_errors_line_per_row(
    client: rowport.Client, media_dir: Path, server: Server
) -> None:
    (media_dir / "latin1.txt").write_bytes("café".encode("latin-1"))
    specs = [
        {"row_data": str(media_dir / "latin1.txt"), "global_key": "undecodable"},
        {"row_data": str(media_dir / "missing.txt"), "global_key": "missing"},
        {"row_data": server.url("gone.txt"), "global_key": "http404"},
    ]
    project, rows = make_project(client, "text", specs)
    project.import_labels(
        [
            {
                "data_row_id": r.uid,
                "annotations": {"objects": [entity("person", 0, 1), entity("place", 1, 2)]},
            }
            for r in rows
        ]
    )
    exported, errors = run_export(project, media_fetch="missing")
    assert {e["data_row"]["global_key"]: e["code"] for e in errors} == {
        "undecodable": "MEDIA_UNREADABLE",
        "missing": "MEDIA_NOT_FOUND",
        "http404": "MEDIA_NOT_FOUND",
    }
    assert len(errors) == 3
    assert all(e["plugin"] == PLUGIN for e in errors)
    assert len(exported) == 3  # keep policy


def test_utf8_bom_is_not_a_code_point(client: rowport.Client, media_dir: Path) -> None:
    (media_dir / "bom.txt").write_bytes(b"\xef\xbb\xbf" + "héllo".encode())
    project, rows = make_project(
        client, "text", [{"row_data": str(media_dir / "bom.txt"), "global_key": "bom"}]
    )
    project.import_labels(
        [{"data_row_id": rows[0].uid, "annotations": {"objects": [entity("person", 0, 4)]}}]
    )
    (row,), errors = run_export(project, media_fetch="missing")
    assert errors == []
    assert objects_of(row)[0]["location"]["token"] == "héllo"


def test_options_fetch_off_and_inline_source(client: rowport.Client, media_dir: Path) -> None:
    (media_dir / "t.txt").write_text("hello world", encoding="utf-8")
    path = str(media_dir / "t.txt")
    project, rows = make_project(client, "text", [{"row_data": path, "global_key": "p"}])
    project.import_labels(
        [{"data_row_id": rows[0].uid, "annotations": {"objects": [entity("person", 0, 4)]}}]
    )
    # fetch off: the file is not read, nothing is checked or added
    (row,), errors = run_export(project, plugin_options={"media": {"fetch": False}})
    assert errors == [] and row["media_attributes"] == {}
    assert "token" not in objects_of(row)[0]["location"]
    # source inline: the path itself is the text
    (row,), errors = run_export(
        project, plugin_options={"text": {"source": "inline"}}, media_fetch="missing"
    )
    assert errors == []
    assert objects_of(row)[0]["location"]["token"] == path[:5]
    # default: the file is read
    (row,), errors = run_export(project, media_fetch="missing")
    assert objects_of(row)[0]["location"]["token"] == "hello"
