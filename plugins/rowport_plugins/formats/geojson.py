"""GeoJSON: ``features.geojson``, one FeatureCollection of every object with an explicit CRS.

Coordinates are ``[longitude, latitude]`` in WGS 84 as the export has them, declared with
``"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}``. Each
feature's properties hold its class, ids, the data row, and its classifications as
``{name: answer}`` (nested answers flattened into ``parent/child`` keys, a loss).
Features are spilled to a temporary file as rows stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rowport import hookimpl
from rowport.formats import FormatContext, FormatSpec, JsonArrayFile, Selected

__all__ = ["CRS84", "SPEC", "GeoJsonWriter", "answers"]

CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}


def answers(
    context: FormatContext, selected: Selected, classifications: Any, prefix: str = ""
) -> dict[str, Any]:
    """Classifications as ``{name: value}`` (checklists: lists, text: its content); nested
    ones become ``parent/child`` keys and count as ``nested_answer_flattened``."""
    out: dict[str, Any] = {}
    for c in classifications or ():
        key = prefix + str(c.get("name"))
        chosen: list[Mapping[str, Any]] = []
        if "radio_answer" in c:
            chosen = [c["radio_answer"]]
            out[key] = c["radio_answer"].get("value")
        elif "checklist_answers" in c:
            chosen = list(c["checklist_answers"])
            out[key] = [a.get("value") for a in chosen]
        elif "text_answer" in c:
            out[key] = (c["text_answer"] or {}).get("content")
        for answer in chosen:
            if answer.get("classifications"):
                context.lose("nested_answer_flattened", selected.row_id, key)
                out.update(answers(context, selected, answer["classifications"], key + "/"))
    return out


class GeoJsonWriter:
    """Writes one FeatureCollection."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.features = JsonArrayFile(context.directory / ".features.tmp")

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Add each row's objects as features."""
        context = self.context
        for row in rows:
            selected = context.select(row)
            if selected is None:
                continue
            mime = (row.get("media_attributes") or {}).get("mime_type")
            if mime == "application/x-tms-simple":
                context.lose("row_unreadable_skipped", selected.row_id, "pixel tiles have no CRS")
                continue
            context.drop_unsupported(selected)
            data_row = row.get("data_row") or {}
            for obj in (selected.annotations or {}).get("objects") or ():
                if "geojson" not in obj:
                    context.lose("object_dropped", selected.row_id, str(obj.get("annotation_kind")))
                    continue
                if obj.get("confidence") is not None:
                    context.lose("confidence_dropped", selected.row_id, str(obj.get("name")))
                self.features.append(
                    {
                        "type": "Feature",
                        "id": obj.get("feature_id"),
                        "geometry": obj["geojson"],
                        "properties": {
                            "name": obj.get("name"),
                            "value": obj.get("value"),
                            "annotation_kind": obj.get("annotation_kind"),
                            "feature_schema_id": obj.get("feature_schema_id"),
                            "data_row_id": selected.row_id,
                            "global_key": data_row.get("global_key"),
                            "classifications": answers(
                                context, selected, obj.get("classifications")
                            ),
                        },
                    }
                )
            context.wrote()

    def finish(self) -> None:
        """Stitch the collection."""
        import orjson

        with open(self.context.directory / "features.geojson", "wb") as out:
            out.write(b'{"type":"FeatureCollection","crs":' + orjson.dumps(CRS84))
            out.write(b',"features":')
            self.features.copy_into(out)
            out.write(b"}")


SPEC = FormatSpec(
    name="geojson",
    summary="GeoJSON FeatureCollection (CRS84 lon/lat) with properties per feature",
    media_types=("geospatial",),
    annotation_kinds=("GeoPoint", "GeoLine", "GeoPolygon", "GeoBoundingBox"),
    layout=("features.geojson", "lossiness.json"),
    writer=GeoJsonWriter,
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the GeoJSON format."""
    register(SPEC)
