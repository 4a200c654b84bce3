"""The sections of an export row a plugin may declare it reads, and parsing them on demand.

Stored JSON (media attributes, per-row lists, label annotations, reviews...) reaches the pipeline
as :class:`orjson.Fragment` objects that are written back byte for byte; only the sections some
plugin of the export declared (``rowport_declare_sections``) are parsed into dicts and lists.
A plugin that declares nothing reads every section, as before sections could be declared.

Parsing is decided per media type (the assembler reads each row's), so a section one media
type's plugins read is not parsed for the rows of another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

import orjson

from rowport.errors import InvalidInput

if TYPE_CHECKING:
    from rowport.plugins._model import ExportContext

__all__ = ["SECTIONS", "check_sections", "forget_peeked", "parsed", "peek", "union_of"]

_PEEKED = "rowport.plugins.sections.peeked"
_PEEKED_KEPT = 1024  # parsed values kept for the next plugin (outside a plugin step's batches)

#: What a plugin may declare, after the row format's top-level sections.
SECTIONS: dict[str, str] = {
    "data_row": "the data row (id, global_key, row_data, details): never stored JSON",
    "media_attributes": "the row's media attributes",
    "attachments": "the row's attachments list",
    "metadata_fields": "the row's metadata fields list",
    "embeddings": "the row's embeddings list",
    "labels": "every label and prediction (projects and experiments), their annotations"
    " left as stored JSON unless annotations is declared too (read them with peek), each"
    " project label with the checks remembered for it (see remembered)",
    "annotations": "the annotations of every label and prediction (projects and experiments)",
    "projects": "everything stored in project sections: label annotations, label details"
    " (reviews), performance details, workflow history",
    "experiments": "everything stored in model run sections: labels' and predictions' annotations",
}


def check_sections(names: Iterable[str], who: str) -> frozenset[str]:
    """``names`` as a set of known sections.

    :raises InvalidInput: ``names`` is a string, not a list, or names an unknown section.
    """
    if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
        raise InvalidInput(f"{who} must return a list of section names, got {names!r}")
    out = frozenset(names)
    unknown = sorted(str(n) for n in out if n not in SECTIONS)
    if unknown:
        raise InvalidInput(
            f"{who} names unknown section(s) {', '.join(repr(u) for u in unknown)};"
            f" allowed: {', '.join(SECTIONS)}"
        )
    return out


def union_of(declared: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """The sections a set of readers needs: None (every section) when one declared nothing."""
    out: set[str] = set()
    for names in declared:
        if names is None:
            return None
        out |= names
    return frozenset(out)


def parsed(container: MutableMapping[str, Any], key: str) -> Any:
    """``container[key]`` parsed, in place, when it is still stored JSON (an
    :class:`orjson.Fragment`): for a plugin that reads a section it did not declare, for the
    rows where it needs it (a cache miss, say)."""
    value = container.get(key)
    if isinstance(value, orjson.Fragment):
        value = orjson.loads(orjson.dumps(value))
        container[key] = value
    return value


def peek(context: ExportContext, container: Mapping[str, Any], key: str) -> Any:
    """``container[key]`` parsed for reading, when it is still stored JSON, leaving the stored
    JSON in the row (so it is written back byte for byte, not encoded again); parsed once for
    every plugin of the export that peeks at it. The value is read-only: a plugin that changes
    it uses :func:`parsed`."""
    value = container.get(key)
    if not isinstance(value, orjson.Fragment):
        return value
    memo: dict[int, tuple[Any, Any, Any]] = context.state.setdefault(_PEEKED, {})
    found = memo.get(id(container))
    if found is not None and found[0] is container and found[1] is value:
        return found[2]
    if len(memo) >= _PEEKED_KEPT:
        memo.clear()
    out = orjson.loads(orjson.dumps(value))
    memo[id(container)] = (container, value, out)
    return out


def forget_peeked(context: ExportContext) -> None:
    """Drop what :func:`peek` parsed (the plugin step does it once a batch is validated, so the
    parsed values die with the batch instead of outliving it for the garbage collector)."""
    context.state.pop(_PEEKED, None)
