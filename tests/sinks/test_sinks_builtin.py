"""Each built-in sink writes exactly the rows of the RESULT stream."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from sink_support import Exported, finish

from rowport.tasks import StreamType
from rowport_plugins.sinks import safe_file_stem


def test_ndjson_file_sink_writes_the_result_stream_bytes(exported: Exported, tmp_path: Path):
    out = tmp_path / "out" / "rows.ndjson"
    _, errors = exported.deliver([{"name": "ndjson_file", "options": {"path": str(out)}}])
    assert errors == []
    assert out.read_bytes() == exported.stream_bytes
    assert len(exported.lines) == 7
    assert not Path(str(out) + ".partial").exists()


def test_json_array_file_sink_writes_one_json_array_of_the_rows(exported: Exported, tmp_path: Path):
    out = tmp_path / "rows.json"
    _, errors = exported.deliver(
        [("json_array_file", {"path": str(out)})], batch_lines=3
    )  # several writes: the separators between batches must be right
    assert errors == []
    assert out.read_bytes() == b"[" + b",\n".join(exported.lines) + b"]\n"
    assert json.loads(out.read_text()) == [orjson.loads(line) for line in exported.lines]


def test_json_array_file_sink_writes_an_empty_array_for_no_rows(exported: Exported, tmp_path: Path):
    out = tmp_path / "empty.json"
    delivery_specs = [("json_array_file", {"path": str(out)})]
    from rowport.sinks import SinkDelivery

    delivery = SinkDelivery.from_specs(
        exported.client.plugins, delivery_specs, result_dir=exported.result_dir
    )
    delivery.open(exported.context())
    assert delivery.close({"rows": 0}) == []
    assert json.loads(out.read_text()) == []


def test_directory_sink_writes_one_file_per_row_named_by_global_key(
    exported: Exported, tmp_path: Path
):
    out = tmp_path / "rows"
    _, errors = exported.deliver([("directory", {"path": str(out)})], batch_lines=2)
    assert errors == []
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{key}.json" for key in exported.catalog["global_keys"])
    by_key = {orjson.loads(line)["data_row"]["global_key"]: line for line in exported.lines}
    for key, line in by_key.items():
        assert (out / f"{key}.json").read_bytes() == line + b"\n"


def test_directory_sink_names_files_by_another_field(exported: Exported, tmp_path: Path):
    out = tmp_path / "by-id"
    exported.deliver([("directory", {"path": str(out), "name_field": "data_row.id"})])
    assert sorted(p.stem for p in out.iterdir()) == sorted(exported.catalog["data_rows"])


def test_directory_sink_file_names_are_filesystem_safe_and_distinct():
    assert safe_file_stem("plain-key_1.jpg") == "plain-key_1.jpg"
    unsafe = ["a/b", "a_b", "../etc/passwd", "", "..", "x" * 400, "naïve key"]
    stems = [safe_file_stem(name) for name in unsafe]
    assert len(set(stems)) == len(stems)
    for stem in stems:
        assert "/" not in stem and not stem.startswith(".") and stem and len(stem) < 200


def test_stdout_sink_writes_the_rows_to_standard_output(
    exported: Exported, capfdbinary: pytest.CaptureFixture[bytes]
):
    _, errors = exported.deliver(["stdout"])
    assert errors == []
    assert capfdbinary.readouterr().out == exported.stream_bytes


def test_ndjson_file_sink_abort_removes_the_partial_file(exported: Exported, tmp_path: Path):
    from rowport.sinks import SinkDelivery
    from rowport.streams import StreamReader

    out = tmp_path / "aborted.ndjson"
    delivery = SinkDelivery.from_specs(
        exported.client.plugins,
        [("ndjson_file", {"path": str(out)})],
        result_dir=exported.result_dir,
    )
    delivery.open(exported.context())
    for part in StreamReader(exported.result_dir).manifest.parts:
        delivery.deliver(part)
    delivery.abort("the export was canceled")
    assert not out.exists()
    assert not Path(str(out) + ".partial").exists()


def test_export_with_sinks_writes_them_through_the_public_api(exported: Exported, tmp_path: Path):
    ndjson, array = tmp_path / "api.ndjson", tmp_path / "api.json"
    project = exported.client.get_project(exported.catalog["project"])
    task = finish(
        project.export(
            params={"label_details": True},
            sinks=[
                ("ndjson_file", {"path": ndjson}),
                {"name": "json_array_file", "options": {"path": str(array)}},
            ],
        )
    )
    rows = [out.json for out in task.get_buffered_stream()]
    assert [orjson.loads(line) for line in ndjson.read_bytes().splitlines()] == rows
    assert json.loads(array.read_text()) == rows
    assert task.get_total_lines(StreamType.ERRORS) is None
    # the request keeps the sinks as JSON (paths as strings) for re-delivery
    sinks = task.metadata["request"]["options"]["sinks"]
    assert sinks[0] == {"name": "ndjson_file", "options": {"path": str(ndjson)}}
