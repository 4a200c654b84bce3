"""What a format writer is handed: where to write, its options, the loss report, and the
helpers every format needs to read a row (whose labels, which media type, which ontology)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from rowport.formats._losses import LossReport

__all__ = ["FormatContext", "Selected", "media_type_of"]

_ASSET_TYPES = {"pdf": "document", "conversational": "conversational", "html": "html"}
_MIME_PREFIXES = (
    ("image/", "image"),
    ("video/", "video"),
    ("audio/", "audio"),
    ("text/html", "html"),
    ("text/", "text"),
    ("application/pdf", "document"),
    ("application/x-tms", "geospatial"),
    ("application/vnd.labelbox.conversational", "conversational"),
)


def media_type_of(row: Mapping[str, Any]) -> str | None:
    """A row's media type, read from its ``media_attributes`` (``asset_type``, else the MIME
    type); None when they say nothing."""
    attributes = row.get("media_attributes") or {}
    asset = attributes.get("asset_type")
    if isinstance(asset, str) and asset:
        return _ASSET_TYPES.get(asset, asset)
    mime = attributes.get("mime_type")
    if isinstance(mime, str):
        for prefix, media_type in _MIME_PREFIXES:
            if mime.startswith(prefix):
                return media_type
    return None


@attrs.frozen(kw_only=True)
class Selected:
    """The labels a format converts for one row: one label's annotations (None for an
    unlabeled row kept by ``include_unlabeled``), where they came from, and the split."""

    row: Mapping[str, Any]
    row_id: str
    annotations: Mapping[str, Any] | None
    source_id: str | None
    split: str | None


def _sources(row: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], str | None]]:
    """``(project or run id, its section, split)`` for every project and model run of a row."""
    for project_id, project in (row.get("projects") or {}).items():
        yield project_id, project, None
    for experiment in (row.get("experiments") or {}).values():
        for run_id, run in (experiment.get("runs") or {}).items():
            yield run_id, run, run.get("split")


@attrs.define
class FormatContext:
    """One conversion's state, handed to ``spec.writer(context)``.

    :ivar directory: the (temporary) directory to write into.
    :ivar options: the format's options, checked, defaults filled in.
    :ivar losses: the loss report (``context.lose(kind, row_id, detail)``).
    :ivar ontology_of: project or model run id -> its ontology (``tools``, ``classifications``)
        or None; the categories of image formats come from it.
    """

    format: str
    media_types: tuple[str, ...]
    directory: Path
    options: dict[str, Any]
    losses: LossReport
    ontology_of: Callable[[str], Mapping[str, Any] | None] = lambda _id: None
    rows_written: int = 0
    _ontologies: dict[str, Mapping[str, Any] | None] = attrs.field(factory=dict, init=False)
    _open_files: list[IO[Any]] = attrs.field(factory=list, init=False)

    def open(self, name: str, mode: str = "w") -> IO[Any]:
        """Open a file under :attr:`directory` (parents made) that stays open across batches;
        the conversion closes it when it finishes or is aborted. Text is UTF-8; ``\\n``
        line ends."""
        path = self.directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if "b" in mode:
            handle: IO[Any] = open(path, mode, buffering=1 << 20)  # noqa: SIM115
        else:
            handle = open(path, mode, encoding="utf-8", newline="")  # noqa: SIM115
        self._open_files.append(handle)
        return handle

    def close_files(self) -> None:
        """Close every file :meth:`open` opened."""
        for handle in self._open_files:
            handle.close()
        self._open_files.clear()

    def lose(
        self, kind: str, row_id: str | None, detail: str | None = None, count: int = 1
    ) -> None:
        """Record a loss (see :class:`~rowport.formats.LossReport`)."""
        self.losses.lose(kind, row_id, detail, count)

    def wrote(self, count: int = 1) -> None:
        """Count rows written to the output."""
        self.rows_written += count

    def ontology(self, source_id: str | None) -> Mapping[str, Any] | None:
        """The ontology of a project or model run (read once per conversion)."""
        if source_id is None:
            return None
        if source_id not in self._ontologies:
            try:
                self._ontologies[source_id] = self.ontology_of(source_id)
            except Exception:
                self._ontologies[source_id] = None
        return self._ontologies[source_id]

    def select(self, row: Mapping[str, Any]) -> Selected | None:
        """The labels to convert of ``row``, or None when the row is skipped (a loss is
        recorded: another media type, or no labels without ``include_unlabeled``).

        The ``project`` option names the project or model run; without it the row's first
        one. Only the first label of that source is converted; more labels, and labels in other
        sources, count as ``labels_dropped``.
        """
        data_row = row.get("data_row") or {}
        row_id = str(data_row.get("id"))
        media_type = media_type_of(row)
        if media_type is not None and media_type not in self.media_types:
            self.lose("row_media_type_skipped", row_id, f"a {media_type} row")
            return None
        wanted = self.options.get("project")
        chosen: tuple[str, Mapping[str, Any], str | None] | None = None
        others = 0
        for source in _sources(row):
            labelled = bool(source[1].get("labels"))
            if chosen is None and (wanted is None or source[0] == wanted):
                chosen = source
            elif labelled and wanted is None:
                others += 1
        labels = list(chosen[1].get("labels") or ()) if chosen else []
        extra = others + max(0, len(labels) - 1)
        if extra and labels:
            self.lose("labels_dropped", row_id, f"{extra} more label(s) than the one converted")
        if not labels:
            if not self.options.get("include_unlabeled"):
                self.lose("row_unlabeled_skipped", row_id)
                return None
            return Selected(
                row=row,
                row_id=row_id,
                annotations=None,
                source_id=chosen[0] if chosen else None,
                split=chosen[2] if chosen else None,
            )
        assert chosen is not None
        return Selected(
            row=row,
            row_id=row_id,
            annotations=labels[0].get("annotations") or {},
            source_id=chosen[0],
            split=chosen[2],
        )

    def drop_unsupported(
        self,
        selected: Selected,
        *,
        classifications: bool = True,
        relationships: bool = True,
    ) -> None:
        """Count the global classifications and relationships of a label as lost."""
        annotations = selected.annotations or {}
        found = annotations.get("classifications") if classifications else None
        if found:
            kind = "classification_dropped"
            names = (
                None
                if kind in self.losses.kinds
                else ", ".join(c.get("name", "?") for c in found[:3])
            )
            self.lose(kind, selected.row_id, names, count=len(found))
        if relationships and annotations.get("relationships"):
            self.lose(
                "relationship_dropped",
                selected.row_id,
                annotations["relationships"][0].get("name"),
                count=len(annotations["relationships"]),
            )

    def drop_object_extras(self, selected: Selected, obj: Mapping[str, Any]) -> None:
        """Count an object's nested classifications and its confidence as lost."""
        nested = obj.get("classifications")
        if nested:
            kind = "object_classification_dropped"
            # the example is kept from the first loss of a kind only: build it once
            detail = (
                None if kind in self.losses.kinds else f"{obj.get('name')}: {nested[0].get('name')}"
            )
            self.lose(kind, selected.row_id, detail, count=len(nested))
        if obj.get("confidence") is not None:
            self.lose("confidence_dropped", selected.row_id, str(obj.get("name")))
