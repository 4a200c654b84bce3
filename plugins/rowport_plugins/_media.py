"""What the media-type plugins share: one fetcher per export, filling in media attributes,
walking a row's labels, and reading their per-plugin options.

Plugin options live under the plugin's short name in the export's ``plugin_options``:
``export(plugin_options={"image": {"clip": True}, "media": {"fetch": "missing"}})``.

``media.fetch`` says when an export reads media (files and URLs): ``"off"`` (the default:
never; stored attributes are used and checks that need absent ones are skipped), ``"missing"``
(rows whose stored attributes lack what a plugin fills) or ``"always"`` (every row, refreshing
the stored attributes). ``False`` (the older spelling) reads nothing and adds no attributes at
all, not even those a plugin derives from ``row_data`` alone. A media probe task
(``dataset.probe_media()``) reads media outside of exports and stores what it finds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from rowport.plugins import ExportContext, Problem
from rowport_plugins._fetch import MediaError, MediaFetcher

__all__ = [
    "MEDIA_SECTIONS",
    "FETCH_MODES",
    "cut",
    "fetch_enabled",
    "fetch_mode",
    "fetcher",
    "fill_media_attributes",
    "fills_attributes",
    "is_int",
    "is_number",
    "iter_labels",
    "iter_objects",
    "plugin_options",
    "probe_media_attributes",
    "read_once",
    "reads",
]

T = TypeVar("T")
_READ_CACHE_ENTRIES = 4096

_FETCHER_KEY = "rowport_plugins.fetcher"
#: the sections a media-type plugin reads (``rowport_declare_sections``)
MEDIA_SECTIONS = ("data_row", "media_attributes", "annotations")
FETCH_MODES = ("off", "missing", "always")


def plugin_options(context: ExportContext, name: str) -> Mapping[str, Any]:
    """The options the export gives plugin ``name`` (``plugin_options[name]``), or ``{}``."""
    value = context.options.get(name)
    return value if isinstance(value, Mapping) else {}


def fetcher(context: ExportContext) -> MediaFetcher:
    """The export's shared :class:`MediaFetcher` (one HTTP session for every plugin), set up
    from ``plugin_options["media"]``: ``timeout`` (s), ``max_bytes``."""
    found = context.state.get(_FETCHER_KEY)
    if isinstance(found, MediaFetcher):
        return found
    options = plugin_options(context, "media")
    made = MediaFetcher(
        timeout=float(options.get("timeout", 10.0)),
        max_bytes=int(options.get("max_bytes", 64 * 2**20)),
    )
    context.state[_FETCHER_KEY] = made
    return made


def fetch_mode(context: ExportContext) -> str:
    """When this export reads media: ``"off"`` (default), ``"missing"`` or ``"always"``
    (``plugin_options["media"]["fetch"]``; ``True`` reads as ``"missing"``, ``False`` as
    ``"off"``; anything else was refused before the task started)."""
    value = plugin_options(context, "media").get("fetch", "off")
    if value is True:
        return "missing"
    return value if value in FETCH_MODES else "off"


def fills_attributes(context: ExportContext) -> bool:
    """False only for ``media.fetch = False``: no attributes are added, not even those a
    plugin derives from ``row_data`` without reading anything."""
    return plugin_options(context, "media").get("fetch") is not False


def reads(
    context: ExportContext, stored: Mapping[str, Any] | None, required: Iterable[str]
) -> bool:
    """Whether this export reads a row's media, given its stored attributes and the keys the
    plugin needs: always with ``"always"``, when one is absent with ``"missing"``, never with
    ``"off"``."""
    mode = fetch_mode(context)
    if mode == "always":
        return True
    if mode == "off":
        return False
    have = stored or {}
    return not all(key in have for key in required)


def fill_media_attributes(
    rows: list[dict[str, Any]],
    context: ExportContext,
    compute: Callable[[dict[str, Any], MediaFetcher], dict[str, Any]],
    *,
    required: Iterable[str],
    mode: str | None = None,
    store: bool = True,
    report_offline: bool = False,
) -> list[Problem]:
    """Compute media attributes with ``compute(row, fetcher)``, for the rows ``mode`` selects.

    ``mode`` (default: the export's :func:`fetch_mode`): ``"missing"`` computes for rows that
    lack any of ``required``, and stored values win over computed ones; ``"always"`` computes
    for every row and computed values replace stored ones (other stored keys are kept);
    ``"off"`` computes nothing. Use ``"missing"`` for attributes derived from ``row_data``
    alone, which read nothing. ``compute`` may raise :class:`MediaError` (a ``MEDIA_OFFLINE``
    one is left unreported unless ``report_offline``); any other exception is reported as
    ``MEDIA_UNREADABLE``. With ``store`` (and unless ``plugin_options["media"]["cache"]`` is
    False) what was computed is written back to the catalog, so the next export reads it
    without touching the media. ``plugin_options["media"]["fetch"] = False`` turns this off.
    """
    if not fills_attributes(context):
        return []
    chosen = fetch_mode(context) if mode is None else mode
    if chosen == "off":
        return []
    options = plugin_options(context, "media")
    wanted = tuple(required)
    problems: list[Problem] = []
    computed: dict[str, dict[str, Any]] = {}
    media = fetcher(context)
    for index, row in enumerate(rows):
        stored = row.get("media_attributes") or {}
        if chosen != "always" and all(key in stored for key in wanted):
            continue
        source = row["data_row"]["row_data"]
        try:
            found = compute(row, media)
        except MediaError as exc:
            if exc.code == "MEDIA_OFFLINE" and not report_offline:
                continue  # offline: remote media is left alone, not reported
            problems.append(
                Problem(
                    index=index,
                    code=exc.code,
                    message=exc.message,
                    details={"source": cut(str(source))},
                )
            )
            continue
        except Exception as exc:
            problems.append(
                Problem(
                    index=index,
                    code="MEDIA_UNREADABLE",
                    message=f"cannot read the media's attributes: {type(exc).__name__}: {exc}",
                    details={"source": cut(str(source))},
                )
            )
            continue
        if chosen == "always":
            ordered = {**found, **{k: v for k, v in stored.items() if k not in found}}
        else:
            merged = {**found, **stored} if stored else dict(found)
            ordered = {**{k: merged[k] for k in found if k in merged}, **stored}
        row["media_attributes"] = ordered
        computed[row["data_row"]["id"]] = ordered
    if computed and store and options.get("cache") is not False:
        context.catalog.rows.set_media_attributes(computed)
    return problems


def probe_media_attributes(
    rows: list[dict[str, Any]],
    context: ExportContext,
    compute: Callable[[dict[str, Any], MediaFetcher], dict[str, Any]],
    *,
    required: Iterable[str],
    only_missing: bool,
) -> list[Problem]:
    """The body of a ``rowport_probe_media`` hook: :func:`fill_media_attributes` for a media
    probe task (``"missing"`` or ``"always"``; offline sources reported; the task stores)."""
    return fill_media_attributes(
        rows,
        context,
        compute,
        required=required,
        mode="missing" if only_missing else "always",
        store=False,
        report_offline=True,
    )


def iter_labels(row: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    """Every label and prediction of an export row: ``(kind, owner_id, path, label)``.

    ``kind`` is ``"project"`` (owner: the project id) or ``"model_run"`` (owner: the run id);
    ``path`` locates the label in the row (``projects.<id>.labels[0]``) for messages.
    """
    for project_id, section in (row.get("projects") or {}).items():
        for i, label in enumerate(section.get("labels") or ()):
            yield "project", project_id, f"projects.{project_id}.labels[{i}]", label
    for model_id, experiment in (row.get("experiments") or {}).items():
        for run_id, run in (experiment.get("runs") or {}).items():
            for key in ("labels", "predictions"):
                for i, label in enumerate(run.get(key) or ()):
                    path = f"experiments.{model_id}.runs.{run_id}.{key}[{i}]"
                    yield "model_run", run_id, path, label


def iter_objects(
    row: Mapping[str, Any], accept: Callable[[dict[str, Any]], bool]
) -> list[tuple[Mapping[str, Any], str, dict[str, Any]]]:
    """``(label, path, object)`` for every object of a row's labels and predictions that
    ``accept`` takes (``path`` locates it, ``projects.<id>.labels[0].annotations.objects[2]``)."""
    found = []
    for _, _, path, label in iter_labels(row):
        annotations = label.get("annotations")
        objects = annotations.get("objects") if isinstance(annotations, Mapping) else None
        if not isinstance(objects, list):
            continue
        for i, obj in enumerate(objects):
            if isinstance(obj, dict) and accept(obj):
                found.append((label, f"{path}.annotations.objects[{i}]", obj))
    return found


def fetch_enabled(context: ExportContext) -> bool:
    """Whether this export may read media at all (``media.fetch`` is not ``"off"``)."""
    return fetch_mode(context) != "off"


def read_once(
    context: ExportContext, key: str, source: Any, read: Callable[[str], T]
) -> T | MediaError:
    """``read(source)`` once per export and source, kept in ``context.state[key]`` (bounded,
    oldest dropped first); a :class:`MediaError` is kept and returned like a result."""
    cache: dict[str, T | MediaError] = context.state.setdefault(key, {})
    if not isinstance(source, str):
        return MediaError("MEDIA_UNREADABLE", "row_data is not a string")
    if source in cache:
        return cache[source]
    found: T | MediaError
    try:
        found = read(source)
    except MediaError as exc:
        found = exc
    if len(cache) >= _READ_CACHE_ENTRIES:
        cache.pop(next(iter(cache)))
    cache[source] = found
    return found


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_int(value: Any) -> bool:
    """An int (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def cut(text: str, limit: int = 200) -> str:
    """``text`` shortened to ``limit`` characters for messages."""
    return text if len(text) <= limit else text[:limit] + "..."
