"""The HTML plugin inside real exports: inline pages and files by path, file:// and HTTP get
their attributes; binary or element-less documents are one ERRORS line each."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from media_html_support import (
    PAGE,
    PLUGIN,
    Server,
    by_key,
    html_attributes,
    make_project,
    run_export,
)

import rowport
import rowport_plugins._formats.html
import rowport_plugins.audio
import rowport_plugins.html
from rowport.demo import build_demo
from rowport.testing import make_client

SIZE = len(PAGE.encode("utf-8"))


def _garbage(n: int = 4096) -> bytes:
    rng = random.Random(1843)
    return bytes(rng.randrange(256) for _ in range(n))


def test_inline_page_gets_its_attributes_and_good_labels_pass(client: rowport.Client) -> None:
    project, rows = make_project(client, [{"row_data": PAGE, "global_key": "inline"}])
    (row,), errors = run_export(project)
    assert errors == []
    assert row["media_attributes"] == html_attributes(SIZE)
    assert client.get_data_row(rows[0].uid).media_attributes == html_attributes(SIZE)
    (section,) = row["projects"].values()
    assert section["labels"][0]["annotations"]["classifications"][2]["text_answer"] == {
        "content": "30-day returns"
    }


@pytest.mark.parametrize("how", ["path", "file_url", "http"])
def test_an_html_file_is_read_once_by_path_file_url_and_http(
    client: rowport.Client, media_dir: Path, server: Server, how: str
) -> None:
    (media_dir / "policy.html").write_text(PAGE, encoding="utf-8")
    source = {
        "path": str(media_dir / "policy.html"),
        "file_url": (media_dir / "policy.html").as_uri(),
        "http": server.url("policy.html"),
    }[how]
    project, _ = make_project(
        client, [{"row_data": source, "global_key": "a"}, {"row_data": source, "global_key": "b"}]
    )
    exported, errors = run_export(project, media_fetch="missing")
    assert errors == []
    assert [row["media_attributes"] for row in exported] == [html_attributes(SIZE)] * 2
    if how == "http":
        assert server.hits["/policy.html"] == 1  # once per export, not once per row


def test_binary_garbage_is_flagged_once_per_row(
    client: rowport.Client, media_dir: Path, server: Server
) -> None:
    (media_dir / "blob.html").write_bytes(_garbage())
    (media_dir / "notes.html").write_text("just some words, no markup at all\n", encoding="utf-8")
    (media_dir / "declared.html").write_bytes(
        b'<html><head><meta charset="utf-8"></head><body>\xff\xfe\xfa</body></html>'
    )
    project, rows = make_project(
        client,
        [
            {"row_data": str(media_dir / "blob.html"), "global_key": "blob"},
            {"row_data": server.url("blob.html"), "global_key": "blob-http"},
            {"row_data": (media_dir / "notes.html").as_uri(), "global_key": "notes"},
            {"row_data": str(media_dir / "declared.html"), "global_key": "declared"},
            {"row_data": "<p>fine\x00\x00\x01</p>", "global_key": "inline-nul"},
            {"row_data": PAGE, "global_key": "good"},
        ],
    )
    exported, errors = run_export(project, media_fetch="missing")
    ids = {
        row.uid: key
        for row, key in zip(
            rows, ["blob", "blob-http", "notes", "declared", "inline-nul", "good"], strict=True
        )
    }
    assert sorted(ids[e["data_row"]["id"]] for e in errors) == [
        "blob",
        "blob-http",
        "declared",
        "inline-nul",
        "notes",
    ]
    assert {e["code"] for e in errors} == {"HTML_UNPARSABLE"}
    assert {e["plugin"] for e in errors} == {PLUGIN}
    notes = next(e for e in errors if ids[e["data_row"]["id"]] == "notes")
    assert "no HTML element" in notes["message"]
    assert notes["details"]["source"] == (media_dir / "notes.html").as_uri()
    found = by_key(exported)
    assert found["good"]["media_attributes"] == html_attributes(SIZE)
    assert found["blob"]["media_attributes"] == {}


def test_sloppy_markup_and_legacy_encodings_are_html(
    client: rowport.Client, media_dir: Path
) -> None:
    (media_dir / "legacy.htm").write_bytes("<p>Caf\u00e9 cr\u00e8me".encode("cp1252"))
    latin = '<meta charset="iso-8859-1"><b>na\u00efve'.encode("latin-1")
    (media_dir / "latin.html").write_bytes(latin)
    project, _ = make_project(
        client,
        [
            {"row_data": "<div><p>unclosed <b>tags</div></span>", "global_key": "sloppy"},
            {"row_data": str(media_dir / "legacy.htm"), "global_key": "legacy"},
            {"row_data": str(media_dir / "latin.html"), "global_key": "latin"},
            {"row_data": "<br/>", "global_key": "void"},
        ],
    )
    exported, errors = run_export(project, media_fetch="missing")
    assert errors == []
    assert by_key(exported)["latin"]["media_attributes"] == html_attributes(len(latin))


def test_missing_file_and_stored_attributes(client: rowport.Client, media_dir: Path) -> None:
    stored = {"asset_type": "html", "mime_type": "application/xhtml+xml"}
    project, rows = make_project(
        client,
        [
            {"row_data": str(media_dir / "gone.html"), "global_key": "gone"},
            {"row_data": PAGE, "global_key": "stored", "media_attributes": stored},
        ],
    )
    exported, errors = run_export(project, media_fetch="missing")
    assert [(e["code"], e["data_row"]["id"]) for e in errors] == [("MEDIA_NOT_FOUND", rows[0].uid)]
    assert by_key(exported)["stored"]["media_attributes"] == stored


def test_without_fetching_references_are_left_alone(
    client: rowport.Client, media_dir: Path
) -> None:
    project, _ = make_project(
        client,
        [
            {"row_data": str(media_dir / "gone.html"), "global_key": "gone"},
            {"row_data": "no markup", "global_key": "inline-text"},
        ],
    )
    exported, errors = run_export(project, plugin_options={"media": {"fetch": False}})
    assert [e["code"] for e in errors] == ["HTML_UNPARSABLE"]  # inline text is still checked
    assert all(row["media_attributes"] == {} for row in exported)


def test_check_html_rule() -> None:
    check = rowport_plugins._formats.html.check_html
    assert check(PAGE.encode()).code is None
    assert check(b"\xef\xbb\xbf<p>bom</p>").code is None
    assert check("<p>utf-16</p>".encode("utf-16")).code is None
    assert check(b"").code == "HTML_UNPARSABLE"
    assert check(b"plain text").code == "HTML_UNPARSABLE"
    assert check(_garbage()).code == "HTML_UNPARSABLE"
    assert check(b"<p>x</p>", "text/html; charset=nonsense-enc").code is None


def test_the_demo_html_and_audio_projects_export_without_errors(tmp_path: Path) -> None:
    plugins = [rowport_plugins.html, rowport_plugins.audio]
    with make_client(tmp_path, plugins=plugins) as client:
        demo = build_demo(client, tmp_path / "media", bulk_rows=0)
        for media_type in ("html", "audio"):
            project = client.get_project(demo.project_ids[media_type])
            exported, errors = run_export(project)
            assert errors == [], media_type
            assert len(exported) == demo.row_counts[media_type]
        # the demo's HTML file, read by the plugin, is HTML too
        (page,) = [path for key, path in demo.media.items() if key == "policy_html"]
        assert rowport_plugins.html.check_html(page.read_bytes()).code is None
