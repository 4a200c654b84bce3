"""What the media-type plugins share (no plugin imports another; each imports this toolkit):

- options (:mod:`._options`): ``plugin_options[NAME]``, the shared ``media`` options
  (``fetch_mode``, ``reads``...), tolerances and counts;
- reading media (:mod:`._fetch`): :class:`MediaFetcher` and :class:`MediaError`; the export's
  shared fetcher and filling in media attributes (:mod:`._attributes`);
- per-export caches (:mod:`._cache`): :func:`read_once`, :class:`BoundedCache`;
- walking rows (:mod:`._rows`): :func:`iter_labels`, :func:`iter_objects`, and the
  :func:`declarations` every media-type plugin makes;
- problems (:mod:`._problems`), media references (:mod:`._references`), geometry records
  (:mod:`._geometry`) and small predicates (:mod:`._values`).

Format parsers (bytes to records) live in :mod:`rowport_plugins._formats`.

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

from rowport_plugins._media._attributes import (
    fetcher,
    fill_media_attributes,
    probe_media_attributes,
)
from rowport_plugins._media._cache import BoundedCache, cache_for, read_once
from rowport_plugins._media._fetch import Media, MediaError, MediaFetcher, local_path
from rowport_plugins._media._geometry import BOX_KEYS, Box, box_values
from rowport_plugins._media._options import (
    FETCH_MODES,
    SOURCES,
    count_option,
    fetch_enabled,
    fetch_mode,
    fills_attributes,
    plugin_options,
    reads,
    source_option,
    tolerance,
)
from rowport_plugins._media._problems import (
    entity_details,
    entity_span_problem,
    entity_text_problem,
    unreadable,
)
from rowport_plugins._media._references import extension, is_reference, is_url, read_text
from rowport_plugins._media._rows import MEDIA_SECTIONS, declarations, iter_labels, iter_objects
from rowport_plugins._media._values import cut, is_int, is_number, number_text

__all__ = [
    "BOX_KEYS",
    "FETCH_MODES",
    "MEDIA_SECTIONS",
    "SOURCES",
    "BoundedCache",
    "Box",
    "Media",
    "MediaError",
    "MediaFetcher",
    "box_values",
    "cache_for",
    "count_option",
    "cut",
    "declarations",
    "entity_details",
    "entity_span_problem",
    "entity_text_problem",
    "extension",
    "fetch_enabled",
    "fetch_mode",
    "fetcher",
    "fill_media_attributes",
    "fills_attributes",
    "is_int",
    "is_number",
    "is_reference",
    "is_url",
    "iter_labels",
    "iter_objects",
    "local_path",
    "number_text",
    "plugin_options",
    "probe_media_attributes",
    "read_once",
    "read_text",
    "reads",
    "source_option",
    "tolerance",
    "unreadable",
]
