"""The export's shared fetcher and filling in media attributes (during an export or a probe)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rowport.plugins import ExportContext, Problem
from rowport_plugins._media._fetch import MediaError, MediaFetcher
from rowport_plugins._media._options import fetch_mode, fills_attributes, plugin_options
from rowport_plugins._media._values import cut

__all__ = ["fetcher", "fill_media_attributes", "probe_media_attributes"]

_FETCHER_KEY = "rowport_plugins.fetcher"


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
