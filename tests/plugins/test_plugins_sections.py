"""Sections on demand: a plugin declares the row sections it reads; only those are parsed, the
rest of the stored JSON is written back byte for byte."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import rowport
from rowport import StreamType, hookimpl
from rowport.errors import PluginLoadError
from rowport.plugins import PluginHost, load, peek

# stored with spaces and a key order orjson would not write back: a parse shows
ODD_ATTRIBUTES = '{"width" : 100,   "height":50 , "note": "kept as stored"}'


def _result_lines(client: rowport.Client, project: str, **params: Any) -> list[bytes]:
    task = client.get_project(project).export(params=params)
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "COMPLETE", task.errors_message
    return [line.json_str.encode() for line in task.stream(StreamType.RESULT, follow=False)]


@pytest.fixture
def odd_home(catalog_home: dict[str, Any]) -> dict[str, Any]:
    """The fixture home with stored JSON written by hand (spaces, odd order)."""
    client = rowport.Client(catalog_home["home"], plugins=PluginHost.load(builtins=False))
    with client.catalog.db.transaction() as conn:
        conn.execute("UPDATE data_rows SET media_attributes = ?", (ODD_ATTRIBUTES,))
        conn.execute(
            "UPDATE labels SET annotations = replace(annotations, ',', ' ,  ')"
        )  # still valid JSON, never what orjson writes
    client.close()
    return catalog_home


class ReadsDataRow:
    seen: list[tuple[str, str]]

    def __init__(self) -> None:
        self.seen = []

    @hookimpl
    def rowport_declare_sections(self) -> list[str]:
        return ["data_row"]

    @hookimpl
    def rowport_validate_rows(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.seen.append((row["data_row"]["row_data"], type(row["media_attributes"]).__name__))


class ReadsAttributes:
    @hookimpl
    def rowport_declare_sections(self) -> list[str]:
        return ["media_attributes"]

    @hookimpl
    def rowport_transform_rows(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["media_attributes"]["checked"] = True


def test_undeclared_sections_stay_byte_identical(make_host, client_with, odd_home) -> None:
    project = odd_home["image_project"]
    params = {"label_details": True, "performance_details": True, "project_details": True}
    floor = _result_lines(client_with(make_host()), project, **params)
    reader = ReadsDataRow()
    lines = _result_lines(client_with(make_host(reader)), project, **params)
    assert lines == floor  # byte for byte, though a plugin looked at every row
    assert b'"width" : 100,   "height":50' in lines[0]
    assert b" ,  " in b"".join(lines)  # label annotations as stored
    assert len(reader.seen) == 6
    assert {kind for _, kind in reader.seen} == {"Fragment"}  # never parsed


def test_a_declared_section_is_parsed_and_the_rest_pass_through(
    make_host, client_with, odd_home
) -> None:
    project = odd_home["image_project"]
    floor = _result_lines(client_with(make_host()), project, label_details=True)
    lines = _result_lines(client_with(make_host(ReadsAttributes())), project, label_details=True)
    for before, after in zip(floor, lines, strict=True):
        row = orjson.loads(after)
        assert row["media_attributes"] == {
            "width": 100,
            "height": 50,
            "note": "kept as stored",
            "checked": True,
        }
        # everything but the declared section is the stored bytes
        assert after.split(b'"projects":')[1] == before.split(b'"projects":')[1]


def test_a_plugin_declaring_nothing_gets_every_section_parsed(
    make_host, client_with, odd_home
) -> None:
    seen: list[str] = []

    class Everything:
        @hookimpl
        def rowport_validate_rows(self, rows: list[dict[str, Any]]) -> None:
            for row in rows:
                for section in row["projects"].values():
                    for label in section["labels"]:
                        seen.append(type(label["annotations"]).__name__)

    _result_lines(client_with(make_host(Everything())), odd_home["image_project"])
    assert seen == ["dict"]


def test_sections_are_parsed_per_media_type(make_host, client_with, odd_home) -> None:
    class TextOnly:
        @hookimpl
        def rowport_declare_media_types(self) -> list[str]:
            return ["text"]

        @hookimpl
        def rowport_validate_rows(self, rows: list[dict[str, Any]]) -> None:
            return None

    reader = ReadsDataRow()
    _result_lines(client_with(make_host(TextOnly(), reader)), odd_home["image_project"])
    # the text plugin reads everything, but only of text rows: image rows stay unparsed
    assert {kind for _, kind in reader.seen} == {"Fragment"}


def test_an_unknown_section_is_refused_at_load() -> None:
    class Wrong:
        @hookimpl
        def rowport_declare_sections(self) -> list[str]:
            return ["data_row", "label"]

    loaded = load(builtins=False, autoload=False, block=())
    loaded.pm.register(Wrong(), name="wrong")
    with pytest.raises(PluginLoadError, match=r"'wrong'.*unknown section.*'label'.*allowed"):
        PluginHost(loaded)


def test_peek_parses_once_and_leaves_the_stored_json(make_host, client_with, odd_home) -> None:
    seen: list[Any] = []

    class Peeks:
        @hookimpl
        def rowport_declare_sections(self) -> list[str]:
            return ["data_row"]

        @hookimpl
        def rowport_validate_rows(self, rows: list[dict[str, Any]], context: Any) -> None:
            for row in rows:
                for section in row["projects"].values():
                    for label in section["labels"]:
                        seen.append((peek(context, label, "annotations"), label["annotations"]))

    class PeeksToo(Peeks):
        pass

    project = odd_home["image_project"]
    floor = _result_lines(client_with(make_host()), project)
    assert _result_lines(client_with(make_host(Peeks(), PeeksToo())), project) == floor
    (first, stored), (second, _) = seen
    assert first is second  # parsed once for both plugins
    assert first["objects"][0]["name"] == "box"
    assert isinstance(stored, orjson.Fragment)  # the row keeps the stored JSON


def test_checked_labels_are_written_as_stored(make_host, client_with, odd_home) -> None:
    """Every built-in checks the labels (here, a feature the ontology lacks) on the first export
    and reads what it found on the next: the annotations are the stored bytes both times."""
    admin = client_with(make_host())
    other = admin.create_ontology("other", tools=[{"tool": "bbox", "name": "truck"}])
    admin.get_project(odd_home["image_project"]).connect_ontology(other)
    floor = b"".join(_result_lines(admin, odd_home["image_project"]))
    client = client_with(make_host(builtins=True))
    for _ in range(2):
        task = client.get_project(odd_home["image_project"]).export()
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "COMPLETE", task.errors_message
        errors = [line.json["code"] for line in task.get_buffered_stream(StreamType.ERRORS)]
        assert errors == ["UNKNOWN_FEATURE"]
        lines = b"".join(line.json_str.encode() for line in task.stream(StreamType.RESULT))
        assert lines.count(b" ,  ") == floor.count(b" ,  ") > 0  # annotations as stored
