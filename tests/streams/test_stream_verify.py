"""StreamReader.verify: a sound stream has no problems; damage to any file is reported."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import orjson
import pytest

from rowport.errors import InvalidInput
from rowport.streams import StreamManifest, StreamReader, StreamWriter, _verify, open_part
from rowport.streams._storage import StreamPlace, join_place, open_storage

StreamFactory = Callable[..., tuple[StreamPlace, list[bytes]]]


def test_verify_finds_no_problem_in_a_sound_stream(stream: StreamFactory) -> None:
    directory, _ = stream(100)
    assert StreamReader(directory).verify() == []


def test_verify_catches_a_corrupted_part(stream: StreamFactory) -> None:
    directory, _ = stream(100)
    reader = StreamReader(directory)
    part = reader.manifest.parts[2]
    storage = open_storage(directory)
    data = bytearray(storage.read(part.file))
    data[3] ^= 0x01
    storage.put(part.file, bytes(data))
    problems = reader.verify()
    digest = hashlib.sha256(data).hexdigest()
    assert problems == [f"{part.file}: sha256 {digest} differs from the manifest's"]


def test_verify_catches_a_truncated_part(stream: StreamFactory) -> None:
    directory, _ = stream(100)
    reader = StreamReader(directory)
    part = reader.manifest.parts[-1]
    storage = open_storage(directory)
    storage.put(part.file, storage.read(part.file)[:-5])
    problems = reader.verify()
    assert any(f"holds {part.size - 5} bytes" in problem for problem in problems)
    assert any("does not end with a newline" in problem for problem in problems)


def test_verify_catches_a_missing_part_and_a_wrong_index(stream: StreamFactory) -> None:
    directory, _ = stream(100)
    reader = StreamReader(directory)
    first, second = reader.manifest.parts[:2]
    storage = open_storage(directory)
    storage.delete(first.file)
    index = storage.read(second.index_file)
    storage.put(second.index_file, index[:-8] + (1).to_bytes(8, "little"))
    assert reader.verify() == [
        f"{first.file}: missing",
        f"{second.index_file}: does not list the start of every line of {second.file}",
    ]


def test_verify_catches_totals_that_disagree_with_the_parts(stream: StreamFactory) -> None:
    directory, _ = stream(20)
    storage = open_storage(directory)
    data = orjson.loads(storage.read("manifest.json"))
    data["total_lines"] += 1
    storage.put("manifest.json", orjson.dumps(data))
    problems = StreamReader(directory).verify()
    assert problems == ["manifest total_lines is 21, its parts hold 20"]


def test_a_manifest_missing_a_key_is_rejected_by_name() -> None:
    data = StreamManifest.empty().to_dict()
    del data["total_size"]
    with pytest.raises(InvalidInput, match="missing the key 'total_size'"):
        StreamManifest.from_dict(data)


def test_a_part_is_served_from_the_bytes_its_check_read(
    place: StreamPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # three 1 MiB read-ahead blocks: a second download would fetch the part again
    directory = join_place(place, "result")
    writer = StreamWriter(directory, part_max_bytes=8 << 20)
    writer.write_lines([orjson.dumps({"n": n, "pad": "x" * 1000}) for n in range(3000)])
    (part,) = writer.close().parts
    storage = open_storage(directory)
    written = storage.read(part.file)
    monkeypatch.setattr(_verify, "_VERIFIED", {})  # as in a process that did not write it
    with open_part(directory, part) as f:
        storage.put(part.file, written.replace(b'"n":', b'"N":'))  # replaced after the check
        assert f.read() == written
