"""Helpers format writers share: JSON arrays spilled to disk, file-name stems, categories."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import orjson

from rowport.errors import InvalidInput
from rowport.formats._spec import FormatOption

__all__ = ["Categories", "JsonArrayFile", "class_map_option", "safe_stem"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(text: str) -> str:
    """``text`` usable as a file name (runs of other characters become ``_``)."""
    return _UNSAFE.sub("_", text).strip("._") or "_"


class JsonArrayFile:
    """The items of one JSON array, appended one by one to a temporary file, so a writer
    never holds them; :meth:`copy_into` streams them into the final document."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = open(path, "wb", buffering=1 << 20)  # noqa: SIM115
        self.count = 0

    def append(self, item: Any) -> None:
        """Add one item (any orjson-serialisable value)."""
        assert self._file is not None, "already closed"
        if self.count:
            self._file.write(b",")
        self._file.write(orjson.dumps(item))
        self.count += 1

    def copy_into(self, out: IO[bytes]) -> None:
        """Write ``[item,item,...]`` into ``out`` and delete the temporary file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        out.write(b"[")
        with open(self.path, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        out.write(b"]")
        self.path.unlink()


def _check_class_map(first: int) -> Any:
    def check(format_name: str, class_map: Mapping[str, Any]) -> None:
        for name, value in class_map.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < first:
                raise InvalidInput(
                    f"format {format_name!r}: class_map[{name!r}] must be a whole number from"
                    f" {first}, got {value!r}"
                )
        if len(set(class_map.values())) != len(class_map):
            raise InvalidInput(f"format {format_name!r}: class_map gives two classes one id")

    return check


def class_map_option(first: int) -> FormatOption:
    """The ``class_map`` option of a format whose class ids start at ``first``."""
    return FormatOption(
        name="class_map",
        type=dict,
        validator=_check_class_map(first),
        help=f"Class name -> id (from {first}); classes not listed are dropped. Default: the"
        f" ontology's tools the format carries, in ontology order, from {first}.",
    )


class Categories:
    """Class names to stable ids: the ``class_map`` option first, then the ontology's tools of
    the kinds the format carries (in ontology order), then names met in rows, in the order
    met. Ids start at ``first`` (COCO 1, YOLO 0)."""

    def __init__(self, first: int, class_map: Mapping[str, Any] | None, format_name: str) -> None:
        self.first = first
        self.ids: dict[str, int] = {}
        if class_map:
            _check_class_map(first)(format_name, class_map)
            self.ids.update(class_map)
        self.fixed = bool(class_map)
        self._seen_ontologies: set[int] = set()

    def add_ontology(self, ontology: Mapping[str, Any] | None, tools: Iterable[str]) -> None:
        """Add the ontology's tools of the ``tools`` kinds (once per ontology)."""
        if ontology is None or self.fixed or id(ontology) in self._seen_ontologies:
            return
        self._seen_ontologies.add(id(ontology))
        kinds = set(tools)
        for tool in ontology.get("tools") or ():
            if tool.get("tool") in kinds:
                self.id_of(str(tool.get("name")))

    def id_of(self, name: str) -> int | None:
        """The id of ``name`` (new names get the next id; None when a class_map is given and
        does not list it)."""
        found = self.ids.get(name)
        if found is None and not self.fixed:
            found = self.ids[name] = max(self.ids.values(), default=self.first - 1) + 1
        return found

    def names(self) -> list[tuple[int, str]]:
        """``(id, name)`` in id order."""
        return sorted((i, n) for n, i in self.ids.items())
