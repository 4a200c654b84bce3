"""A damaged task folder: every reader, re-delivery and CLI command says StreamCorrupted,
naming the file and what is wrong; nothing else escapes and nothing damaged is served."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from reliability_support import WAIT_LIMIT, FlagSome, quiet_plugins, use_small_parts

import rowport
from rowport import hookimpl
from rowport.cli import main
from rowport.errors import RowportError, StreamCorrupted
from rowport.testing import collecting_sink


class CollectPlugin:
    def __init__(self) -> None:
        self.factory = collecting_sink()

    @hookimpl
    def rowport_register_sinks(self, register: Callable[..., None]) -> None:
        register("collect", self.factory)


@pytest.fixture(scope="module")
def _exported(built: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A home holding a COMPLETE export of several parts (made once)."""
    home = tmp_path_factory.mktemp("damaged") / "home"
    shutil.copytree(built["home"], home)
    with rowport.Client(home, plugins=quiet_plugins()) as client:
        use_small_parts(client, [FlagSome()])
        task = client.get_project(built["project"]).export()
        task.wait_till_done(timeout_seconds=WAIT_LIMIT)
        assert task.status == "COMPLETE"
    return {"home": home, "task_id": task.uid}


@pytest.fixture
def finished(_exported: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A copy of that home, and a client on it that can re-deliver to a ``collect`` sink."""
    home = tmp_path / "home"
    shutil.copytree(_exported["home"], home)
    plugins = quiet_plugins()
    collect = CollectPlugin()
    plugins.pm.register(collect)
    client = rowport.Client(home, plugins=plugins)
    task = client.get_task(_exported["task_id"])
    result = home / "tasks" / task.uid / "result"
    yield {"client": client, "task": task, "result": result, "home": home, "collect": collect}
    client.close()


def _manifest(result: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((result / "manifest.json").read_bytes())
    return data


def _set_part_file(result: Path, name: str) -> None:
    data = _manifest(result)
    data["parts"][1]["file"] = name
    (result / "manifest.json").write_bytes(orjson.dumps(data))


def _folder_is_a_file(result: Path) -> str:
    shutil.rmtree(result)
    result.write_text("not a stream\n")
    return "is not a folder"


def _manifest_deleted(result: Path) -> str:
    (result / "manifest.json").unlink()
    return "manifest.json: missing"


def _manifest_garbage(result: Path) -> str:
    (result / "manifest.json").write_bytes(b"{not json")
    return "is not valid JSON"


def _truncated(result: Path) -> str:
    part = result / _manifest(result)["parts"][1]["file"]
    part.write_bytes(part.read_bytes()[:-100])
    return "bytes, the manifest says"


def _extended(result: Path) -> str:
    part = result / _manifest(result)["parts"][1]["file"]
    part.write_bytes(part.read_bytes() + b'{"garbage": true}\n')
    return "bytes, the manifest says"


def _flipped(result: Path) -> str:
    part = result / _manifest(result)["parts"][1]["file"]
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0x01
    part.write_bytes(bytes(data))
    return "sha256"


def _points_at_passwd(result: Path) -> str:
    _set_part_file(result, "/etc/passwd")
    return "inside the stream folder"


def _points_up(result: Path) -> str:
    _set_part_file(result, "../x")
    return "inside the stream folder"


def _links_out(result: Path) -> str:
    part = result / _manifest(result)["parts"][1]["file"]
    part.unlink()
    part.symlink_to("/etc/passwd")
    return "resolves outside its stream folder"


DAMAGES = {
    "folder-is-a-file": _folder_is_a_file,
    "manifest-deleted": _manifest_deleted,
    "manifest-garbage": _manifest_garbage,
    "truncated-part": _truncated,
    "extended-part": _extended,
    "flipped-byte": _flipped,
    "part-is-etc-passwd": _points_at_passwd,
    "part-is-dot-dot": _points_up,
    "part-links-out": _links_out,
}


def _cli(home: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_result_stream_is_refused_by_every_reader(finished: dict[str, Any], damage: str):
    task, result = finished["task"], finished["result"]
    expected = DAMAGES[damage](result)
    with pytest.raises(StreamCorrupted, match=re.escape(expected)) as caught:
        list(task.get_stream())
    assert str(result) in caught.value.path
    with pytest.raises(StreamCorrupted, match=re.escape(expected)):
        list(task.stream(follow=False))
    # re-delivery refuses before the sink gets a line
    with pytest.raises(StreamCorrupted, match=re.escape(expected)):
        finished["client"].deliver(task.uid, "collect")
    assert all(not sink.lines for sink in finished["collect"].factory.instances)
    with pytest.raises(StreamCorrupted, match=re.escape(expected)):
        task.convert("coco", finished["home"] / "coco-out")
    assert not (finished["home"] / "coco-out").exists()
    problems = task.verify()["result"]
    assert problems and task.verify()["errors"] == []
    for args in (("tasks", "stream", task.uid), ("tasks", "verify", task.uid)):
        out = _cli(finished["home"], *args)
        assert out.exit_code == 1, out.output
        assert "Traceback" not in out.output and "root:x:0:0" not in out.output
        assert "stream folder" in out.output or expected in out.output or "sha256" in out.output


def test_a_sound_task_verifies_and_show_lists_nothing_wrong(finished: dict[str, Any]):
    out = _cli(finished["home"], "tasks", "verify", finished["task"].uid)
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == ["result: ok", "errors: ok"]


def test_a_deleted_manifest_does_not_make_a_complete_task_look_empty(finished: dict[str, Any]):
    task, result = finished["task"], finished["result"]
    (result / "manifest.json").unlink()
    with pytest.raises(StreamCorrupted, match=re.escape("manifest.json: missing")):
        task.get_total_lines(rowport.StreamType.RESULT)
    with pytest.raises(StreamCorrupted):
        task.has_result()
    out = _cli(finished["home"], "tasks", "show", task.uid)
    assert (
        out.exit_code == 1
        and out.output.startswith("Error: ")
        and len(out.output.splitlines()) == 1
    )


def test_stream_corrupted_is_a_rowport_error_naming_the_file():
    exc = StreamCorrupted("/x/part-000001.ndjson", "holds 3 bytes, the manifest says 4")
    assert isinstance(exc, RowportError)
    assert str(exc) == "/x/part-000001.ndjson: holds 3 bytes, the manifest says 4"
    assert exc.path == "/x/part-000001.ndjson"


def test_a_task_that_ended_before_its_runner_started_has_empty_streams(finished: dict[str, Any]):
    client = finished["client"]
    record = client.catalog.tasks.create_task("never ran", {"request": {}})
    client.catalog.tasks.set_status(record.id, rowport.TaskStatus.FAILED, error="stopped early")
    task = client.get_task(record.id)
    assert list(task.stream(rowport.StreamType.ERRORS, follow=False)) == []
    assert task.verify() == {"result": [], "errors": []}
    out = _cli(finished["home"], "tasks", "show", task.uid)
    assert out.exit_code == 0, out.output


def test_a_part_changed_after_this_process_wrote_it_is_hashed_again(tmp_path: Path):
    from rowport.streams import StreamReader, StreamWriter

    with StreamWriter(tmp_path / "s") as writer:
        writer.write_lines([b'{"n": %d}' % i for i in range(100)])
    assert len(list(StreamReader(tmp_path / "s").iter_lines())) == 100  # no hash: it wrote it
    part = tmp_path / "s" / "part-000000.ndjson"
    data = bytearray(part.read_bytes())
    data[2] ^= 0x01  # same size, same inode: a new ctime
    part.write_bytes(bytes(data))
    with pytest.raises(StreamCorrupted, match="sha256"):
        list(StreamReader(tmp_path / "s").iter_lines())


def test_the_quick_check_a_resume_makes_sees_hash_count_and_index_length(tmp_path: Path):
    from rowport.streams import StreamReader, StreamWriter
    from rowport.streams._verify import verify_stream

    with StreamWriter(tmp_path / "s") as writer:
        writer.write_lines([b'{"n": %d}' % i for i in range(50)])
    manifest = StreamReader(tmp_path / "s").manifest
    assert verify_stream(tmp_path / "s", manifest, index_entries=False) == []
    index = tmp_path / "s" / "part-000000.idx"
    index.write_bytes(index.read_bytes()[:-8])
    part = tmp_path / "s" / "part-000000.ndjson"
    part.write_bytes(part.read_bytes().replace(b'"n": 7}', b'"n": 8}'))
    assert verify_stream(tmp_path / "s", manifest, index_entries=False) == [
        f"part-000000.ndjson: sha256 {hashlib.sha256(part.read_bytes()).hexdigest()}"
        " differs from the manifest's",
        "part-000000.idx: has 49 entries for 50 lines",
    ]
