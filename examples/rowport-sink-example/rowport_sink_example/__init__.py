"""An example rowport plugin: a sink and a transform, installed through an entry point.

- the ``upper_file`` sink writes each row's global key, upper-cased, one per line, to ``path``;
- a media-agnostic transform adds ``data_row.example_tag = "seen-by-example"`` to every row,
  but only when the export asks for it: ``export(plugin_options={"example_tag": True})``.

``pyproject.toml`` registers this module in the entry-point group ``rowport``; rowport loads it
by itself (``rowport plugins`` lists it with this distribution and version).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO, Any

import attrs
import orjson

from rowport import hookimpl
from rowport.plugins import ExportContext
from rowport.sinks import BaseSink

__all__ = ["UpperFileSink", "rowport_register_sinks", "rowport_transform_rows"]

TAG = "seen-by-example"


@attrs.define
class UpperFileSink(BaseSink):
    """``upper_file``: each row's global key (or id), upper-cased, one per line.

    :param path: the file to write; it appears when the export completes.
    """

    path: str
    _file: IO[str] | None = attrs.field(default=None, init=False)

    def open(self, context: ExportContext) -> None:
        self._file = open(self.path + ".partial", "w", encoding="utf-8")  # noqa: SIM115

    def write(self, batch: list[bytes]) -> None:
        assert self._file is not None
        keys = []
        for line in batch:
            data_row = orjson.loads(line)["data_row"]
            keys.append(str(data_row.get("global_key") or data_row["id"]).upper() + "\n")
        self._file.write("".join(keys))

    def close(self, summary: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.close()
        os.replace(self.path + ".partial", self.path)

    def abort(self, error: str) -> None:
        if self._file is not None:
            self._file.close()
        if os.path.exists(self.path + ".partial"):
            os.remove(self.path + ".partial")


@hookimpl
def rowport_register_sinks(register: Callable[..., None]) -> None:
    """Register the ``upper_file`` sink."""
    register("upper_file", UpperFileSink)


@hookimpl
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> None:
    """Tag every row, when the export's plugin options ask for ``example_tag``."""
    if not context.options.get("example_tag"):
        return
    for row in rows:
        row["data_row"]["example_tag"] = TAG
