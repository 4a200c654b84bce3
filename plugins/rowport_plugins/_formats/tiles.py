"""Tile layers: a geospatial row's ``row_data`` (JSON text, a dict, or a bare tile URL
template) parsed into a :class:`TileLayer`. A pure function."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
import orjson

from rowport_plugins._media import is_int as _is_int
from rowport_plugins._media import is_number as _is_number

__all__ = ["EPSGS", "MIME_GEO", "MIME_SIMPLE", "LayerError", "TileLayer", "parse_tile_layer"]

EPSGS = {"EPSG4326": "EPSG4326", "EPSG3857": "EPSG3857", "SIMPLE": "simple"}


MIME_GEO = "application/x-tms-geo"


MIME_SIMPLE = "application/x-tms-simple"


_TEMPLATE = re.compile(r"^https?://\S*\{z\}\S*\{x\}\S*\{y\}\S*$|^https?://\S*\{z\}\S*$")


class LayerError(Exception):
    """Why a row's tile layer is not usable."""


@attrs.frozen(kw_only=True)
class TileLayer:
    """A parsed tile layer; ``bounds`` is ``(west, south, east, north)`` or None."""

    url: str
    bounds: tuple[float, float, float, float] | None
    min_zoom: int | None
    max_zoom: int | None
    epsg: str

    @property
    def geographic(self) -> bool:
        """Whether positions are longitude/latitude (not a ``simple`` pixel plane)."""
        return self.epsg != "simple"

    def attributes(self) -> dict[str, Any]:
        """The media attributes this plugin adds to a row without a ``mime_type``."""
        out: dict[str, Any] = {"mime_type": MIME_GEO if self.geographic else MIME_SIMPLE}
        if self.bounds is not None:
            west, south, east, north = self.bounds
            out["bounds"] = [[west, south], [east, north]]
        if self.min_zoom is not None:
            out["min_zoom"] = self.min_zoom
        if self.max_zoom is not None:
            out["max_zoom"] = self.max_zoom
        return out


def _pick(layer: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in layer:
            return layer[key]
    return None


def parse_tile_layer(row_data: Any) -> TileLayer:
    """The tile layer of ``row_data`` (JSON text, a dict, or a bare tile URL template).

    :raises LayerError: when it is not a usable layer.
    """
    if isinstance(row_data, str):
        text = row_data.strip()
        if _TEMPLATE.match(text):
            return TileLayer(url=text, bounds=None, min_zoom=None, max_zoom=None, epsg="EPSG3857")
        try:
            row_data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise LayerError(f"row_data is not tile-layer JSON: {exc}") from None
    if not isinstance(row_data, Mapping):
        raise LayerError("the tile layer must be a JSON object")
    url = _pick(row_data, "tileLayerUrl", "tile_layer_url")
    if not isinstance(url, str) or not url:
        raise LayerError("tileLayerUrl must be a non-empty string")
    epsg_raw = _pick(row_data, "epsg")
    epsg = "EPSG3857"
    if epsg_raw is not None:
        key = str(epsg_raw).replace(":", "").upper() if isinstance(epsg_raw, str) else ""
        if key not in EPSGS:
            raise LayerError(f"epsg must be EPSG4326, EPSG3857 or simple, got {epsg_raw!r}")
        epsg = EPSGS[key]
    bounds_raw = _pick(row_data, "bounds")
    bounds: tuple[float, float, float, float] | None = None
    if bounds_raw is not None:
        ok = (
            isinstance(bounds_raw, list)
            and len(bounds_raw) == 2
            and all(
                isinstance(c, list) and len(c) == 2 and all(_is_number(v) for v in c)
                for c in bounds_raw
            )
        )
        if not ok:
            raise LayerError(
                f"bounds must be [[lng_sw, lat_sw], [lng_ne, lat_ne]], got {bounds_raw!r}"[:300]
            )
        (west, south), (east, north) = bounds_raw
        if not (west < east and south < north):
            raise LayerError(
                f"bounds must run south-west to north-east with west < east and south < north,"
                f" got {bounds_raw!r}"
            )
        if epsg != "simple" and not (
            -180 <= west <= 180
            and -180 <= east <= 180
            and -90 <= south <= 90
            and -90 <= north <= 90
        ):
            raise LayerError(f"bounds are not longitudes/latitudes: {bounds_raw!r}")
        bounds = (float(west), float(south), float(east), float(north))
    zooms: list[int | None] = []
    for keys in (("minZoom", "min_zoom"), ("maxZoom", "max_zoom")):
        value = _pick(row_data, *keys)
        if value is not None and not (_is_int(value) and 0 <= value <= 30):
            raise LayerError(f"{keys[0]} must be an integer from 0 to 30, got {value!r}")
        zooms.append(value)
    if zooms[0] is not None and zooms[1] is not None and zooms[0] > zooms[1]:
        raise LayerError(f"minZoom {zooms[0]} is above maxZoom {zooms[1]}")
    return TileLayer(url=url, bounds=bounds, min_zoom=zooms[0], max_zoom=zooms[1], epsg=epsg)
