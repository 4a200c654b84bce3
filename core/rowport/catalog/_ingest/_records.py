"""The export row format as attrs records: what one import line is structured into.

Sections the catalog stores column by column (data row, details, attachments, metadata,
embeddings, project sections, labels, runs) refuse unknown keys, since they would be lost.
``annotations``, ``media_attributes`` and ``performance_details`` are stored as the JSON the
file holds: their records check every key the format defines (geometry per annotation kind,
attributes per media type) and keep the rest as it is (see ``_structure``).
"""

from __future__ import annotations

from typing import Literal, NewType

import attrs

__all__ = [
    "ANNOTATION_KINDS",
    "Annotations",
    "Attachment",
    "DataRow",
    "Embedding",
    "ImportRow",
    "Label",
    "MetadataField",
    "ProjectSection",
    "Run",
]

# Checked scalars (see ``_structure``): the hooks refuse bool as int, out-of-range integers,
# empty ids, and timestamps that do not parse.
Id = NewType("Id", str)
Int64 = NewType("Int64", int)
Count = NewType("Count", int)  # a positive Int64
Number = NewType("Number", float)  # an int or a float, never a bool
Timestamp = NewType("Timestamp", str)
RowData = NewType("RowData", str)  # a string, or a JSON object/list kept as its text
WorkflowStatus = NewType("WorkflowStatus", str)  # TO_LABEL ... or ToLabel ...; stored upper snake
Split = NewType("Split", str)  # training / validation / test, any case; stored lower
AnnotationsJSON = NewType("AnnotationsJSON", dict)  # type: ignore[type-arg]
MediaAttributesJSON = NewType("MediaAttributesJSON", dict)  # type: ignore[type-arg]
PerformanceJSON = NewType("PerformanceJSON", dict)  # type: ignore[type-arg]
MetadataValue = NewType("MetadataValue", object)

AttachmentType = Literal[
    "IMAGE", "VIDEO", "RAW_TEXT", "TEXT_URL", "HTML", "PDF_URL", "IMAGE_OVERLAY", "CSV_URL"
]

# -- data row ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DataRowDetails:
    """``data_row.details`` (with ``data_row_details``)."""

    dataset_id: Id | None = None
    dataset_name: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    last_activity_at: Timestamp | None = None
    created_by: str | None = None


@attrs.frozen(kw_only=True)
class DataRow:
    """``data_row``."""

    id: Id
    row_data: RowData
    global_key: Id | None = None
    external_id: Id | None = None
    details: DataRowDetails | None = None


@attrs.frozen(kw_only=True)
class Attachment:
    """One of ``attachments``."""

    type: AttachmentType
    value: str
    id: Id | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class MetadataOption:
    """The value of an enum metadata field: the chosen option."""

    schema_id: Id
    schema_name: str | None = None


@attrs.frozen(kw_only=True)
class MetadataField:
    """One of ``metadata_fields``; ``value`` is a string, a number or a :class:`MetadataOption`."""

    schema_id: Id
    value: MetadataValue
    schema_name: str | None = None


@attrs.frozen(kw_only=True)
class EmbeddingVector:
    """One of an embedding's ``values``."""

    value: list[Number]


@attrs.frozen(kw_only=True)
class Embedding:
    """One of ``embeddings``."""

    id: Id
    dimensions: Count
    name: str | None = None
    is_custom: bool = True
    values: list[EmbeddingVector] = attrs.field(factory=list)


# -- annotations (checked, then stored as the file has them) -------------------------------------


@attrs.frozen(kw_only=True)
class TextAnswer:
    """``text_answer``."""

    content: str


@attrs.frozen(kw_only=True)
class Answer:
    """A radio or checklist answer."""

    feature_id: Id | None = None
    feature_schema_id: Id | None = None
    name: str | None = None
    value: str | None = None
    classifications: list[Classification] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class Classification:
    """A classification (global, nested, message-scoped or per frame)."""

    feature_id: Id | None = None
    feature_schema_id: Id | None = None
    name: str | None = None
    value: str | None = None
    message_id: str | None = None
    radio_answer: Answer | None = None
    checklist_answers: list[Answer] | None = None
    text_answer: TextAnswer | None = None
    conversational_radio_answer: Answer | None = None
    conversational_checklist_answers: list[Answer] | None = None
    conversational_text_answer: TextAnswer | None = None


@attrs.frozen(kw_only=True)
class TimestampClassification(Classification):
    """An audio classification over a time range (``timestamp.<feature_id>[]``)."""

    start_ms: Number
    end_ms: Number


@attrs.frozen(kw_only=True)
class Point:
    """``{x, y}`` in pixels."""

    x: Number
    y: Number


@attrs.frozen(kw_only=True)
class Box:
    """``{top, left, height, width}``."""

    top: Number
    left: Number
    height: Number
    width: Number


@attrs.frozen(kw_only=True)
class PageDimensions:
    """A document page's ``{height, width}``."""

    height: Number
    width: Number


@attrs.frozen(kw_only=True)
class TextLocation:
    """``location`` of a text entity: character offsets, ``end`` inclusive."""

    start: Int64
    end: Int64
    token: str | None = None


@attrs.frozen(kw_only=True)
class ConversationalLocation:
    """``conversational_location``: a message and a range in it."""

    message_id: str
    location: TextLocation


@attrs.frozen(kw_only=True)
class TokenGroup:
    """One group of a document entity's tokens."""

    id: str
    page_number: Int64
    tokens: list[str]
    text: str | None = None


@attrs.frozen(kw_only=True)
class TokenLocation:
    """``location`` of a document entity."""

    groups: list[TokenGroup]


@attrs.frozen(kw_only=True)
class Mask:
    """``composite_mask``."""

    url: str
    color_rgb: list[Int64]


@attrs.frozen(kw_only=True)
class GeoPointGeometry:
    """GeoJSON ``Point``: ``[longitude, latitude]``."""

    type: Literal["Point"]
    coordinates: list[Number]


@attrs.frozen(kw_only=True)
class GeoLineGeometry:
    """GeoJSON ``LineString``."""

    type: Literal["LineString"]
    coordinates: list[list[Number]]


@attrs.frozen(kw_only=True)
class GeoPolygonGeometry:
    """GeoJSON ``Polygon``: rings of positions."""

    type: Literal["Polygon"]
    coordinates: list[list[list[Number]]]


@attrs.frozen(kw_only=True)
class Relation:
    """``relationship``: two objects' ``feature_id``s."""

    source: str
    target: str
    type: Literal["unidirectional", "bidirectional"]


@attrs.frozen(kw_only=True)
class AnnotationObject:
    """What every object has; the subclasses add the geometry of their ``annotation_kind``."""

    annotation_kind: str
    feature_id: Id | None = None
    feature_schema_id: Id | None = None
    name: str | None = None
    value: str | None = None
    classifications: list[Classification] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class BoxObject(AnnotationObject):
    """``ImageBoundingBox`` / ``VideoBoundingBox``."""

    bounding_box: Box


@attrs.frozen(kw_only=True)
class DocumentBoxObject(AnnotationObject):
    """``DocumentBoundingBox``: a box in PDF points on a 1-based page."""

    bounding_box: Box
    page_number: Int64
    page_dimensions: PageDimensions | None = None


@attrs.frozen(kw_only=True)
class PolygonObject(AnnotationObject):
    """``ImagePolygon``."""

    polygon: list[Point]


@attrs.frozen(kw_only=True)
class LineObject(AnnotationObject):
    """``ImagePolyline``."""

    line: list[Point]


@attrs.frozen(kw_only=True)
class PointObject(AnnotationObject):
    """``ImagePoint``."""

    point: Point


@attrs.frozen(kw_only=True)
class MaskObject(AnnotationObject):
    """``ImageSegmentationMask``."""

    composite_mask: Mask


@attrs.frozen(kw_only=True)
class TextEntityObject(AnnotationObject):
    """``TextEntity``."""

    location: TextLocation


@attrs.frozen(kw_only=True)
class ConversationalEntityObject(AnnotationObject):
    """``ConversationalTextEntity``."""

    conversational_location: ConversationalLocation


@attrs.frozen(kw_only=True)
class DocumentEntityObject(AnnotationObject):
    """``DocumentEntityToken``."""

    location: TokenLocation


@attrs.frozen(kw_only=True)
class GeoPointObject(AnnotationObject):
    """``GeoPoint``."""

    geojson: GeoPointGeometry


@attrs.frozen(kw_only=True)
class GeoLineObject(AnnotationObject):
    """``GeoLine``."""

    geojson: GeoLineGeometry


@attrs.frozen(kw_only=True)
class GeoPolygonObject(AnnotationObject):
    """``GeoPolygon`` / ``GeoBoundingBox``."""

    geojson: GeoPolygonGeometry


@attrs.frozen(kw_only=True)
class RelationshipObject(AnnotationObject):
    """``Relationship``."""

    relationship: Relation


ANNOTATION_KINDS: dict[str, type[AnnotationObject]] = {
    "ImageBoundingBox": BoxObject,
    "VideoBoundingBox": BoxObject,
    "ImagePolygon": PolygonObject,
    "ImagePolyline": LineObject,
    "ImagePoint": PointObject,
    "ImageSegmentationMask": MaskObject,
    "TextEntity": TextEntityObject,
    "ConversationalTextEntity": ConversationalEntityObject,
    "DocumentBoundingBox": DocumentBoxObject,
    "DocumentEntityToken": DocumentEntityObject,
    "GeoPoint": GeoPointObject,
    "GeoLine": GeoLineObject,
    "GeoPolygon": GeoPolygonObject,
    "GeoBoundingBox": GeoPolygonObject,
    "Relationship": RelationshipObject,
}
"""The geometry record of each ``annotation_kind`` the format defines."""


@attrs.frozen(kw_only=True)
class Frame:
    """One video frame: objects keyed by ``feature_id``, and classifications."""

    objects: dict[str, AnnotationObject] = attrs.field(factory=dict)
    classifications: list[Classification] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class Annotations:
    """``annotations`` of a label or prediction, for every media type."""

    objects: list[AnnotationObject] | None = None
    classifications: list[Classification] | None = None
    relationships: list[RelationshipObject] | None = None
    frames: dict[str, Frame] | None = None
    segments: dict[str, list[list[Int64]]] | None = None
    key_frame_feature_map: dict[str, list[Int64]] | None = None
    timestamp: dict[str, list[TimestampClassification]] | None = None


# -- media attributes, per media type ---------------------------------------------------------


@attrs.frozen(kw_only=True)
class MediaAttributes:
    """What every media type may carry."""

    asset_type: str | None = None
    mime_type: str | None = None


@attrs.frozen(kw_only=True)
class ImageAttributes(MediaAttributes):
    """Image: pixels and the EXIF rotation (a string)."""

    width: Int64 | None = None
    height: Int64 | None = None
    exif_rotation: str | None = None


@attrs.frozen(kw_only=True)
class VideoAttributes(MediaAttributes):
    """Video."""

    width: Int64 | None = None
    height: Int64 | None = None
    frame_rate: Number | None = None
    frame_count: Int64 | None = None
    duration: Number | None = None
    codec: str | None = None


@attrs.frozen(kw_only=True)
class ConversationalAttributes(MediaAttributes):
    """Conversational."""

    labelable_ids: list[str] | None = None
    message_count: Int64 | None = None


@attrs.frozen(kw_only=True)
class PdfAttributes(MediaAttributes):
    """PDF documents."""

    page_count: Int64 | None = None


@attrs.frozen(kw_only=True)
class AudioAttributes(MediaAttributes):
    """Audio."""

    duration_ms: Number | None = None
    sample_rate: Int64 | None = None
    channels: Int64 | None = None


MEDIA_ATTRIBUTES: dict[str, type[MediaAttributes]] = {
    "image": ImageAttributes,
    "video": VideoAttributes,
    "conversational": ConversationalAttributes,
    "pdf": PdfAttributes,
    "document": PdfAttributes,
    "audio": AudioAttributes,
}
"""The attribute record of each media type (``asset_type``); others use the common one."""

# -- projects, labels, runs --------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Performance:
    """``performance_details`` (the v2 block nested inside, as the seed lists it)."""

    seconds_to_create: Number | None = None
    seconds_to_review: Number | None = None
    skipped: bool | None = None
    performance_details_v2: PerformanceV2 | None = None


@attrs.frozen(kw_only=True)
class PerformanceV2:
    """``performance_details.performance_details_v2``."""

    seconds_to_create: Number | None = None
    seconds_to_review: Number | None = None
    seconds_to_rework: Number | None = None
    seconds_total: Number | None = None


@attrs.frozen(kw_only=True)
class Review:
    """One of ``label_details.reviews``."""

    action: Literal["Approve", "Reject"]
    id: Id | None = None
    created_at: Timestamp | None = None
    created_by: str | None = None


@attrs.frozen(kw_only=True)
class LabelDetails:
    """``label_details``."""

    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    created_by: str | None = None
    content_last_updated_at: Timestamp | None = None
    reviews: list[Review] | None = None


@attrs.frozen(kw_only=True)
class Label:
    """One of a project section's ``labels``; ``annotations`` is the checked JSON."""

    id: Id
    annotations: AnnotationsJSON = attrs.field(factory=dict)  # type: ignore[assignment]
    label_kind: Id = Id("Default")
    version: Id = Id("1.0.0")
    label_details: LabelDetails | None = None
    performance_details: PerformanceJSON | None = None


@attrs.frozen(kw_only=True)
class HistoryEvent:
    """One of ``project_details.workflow_history``."""

    action: Id
    created_at: Timestamp | None = None
    created_by: str | None = None
    previous_task_id: str | None = None
    previous_task_name: str | None = None
    next_task_id: str | None = None
    next_task_name: str | None = None


@attrs.frozen(kw_only=True)
class ProjectDetails:
    """``project_details``."""

    ontology_id: Id | None = None
    task_id: Id | None = None
    task_name: Id | None = None
    batch_id: Id | None = None
    batch_name: Id | None = None
    workflow_status: WorkflowStatus | None = None
    priority: Int64 | None = None
    selected_label_id: Id | None = None
    consensus_expected_label_count: Int64 | None = None
    workflow_history: list[HistoryEvent] | None = None


@attrs.frozen(kw_only=True)
class ProjectTag:
    """One of ``project_tags`` (``name`` is read as ``text``)."""

    id: Id | None = None
    text: str | None = None
    name: str | None = None
    color: str | None = None


@attrs.frozen(kw_only=True)
class ProjectSection:
    """``projects.<project_id>``."""

    name: Id | None = None
    labels: list[Label] | None = None
    project_tags: list[ProjectTag] | None = None
    project_details: ProjectDetails | None = None


@attrs.frozen(kw_only=True)
class RunAnnotation:
    """A label or prediction of a model run; ``annotations`` is the checked JSON.

    A run keeps no details of its labels: ``label_details`` and ``performance_details``, as a
    project label carries them, are checked and not stored.
    """

    id: Id
    annotations: AnnotationsJSON = attrs.field(factory=dict)  # type: ignore[assignment]
    label_kind: Id = Id("Default")
    version: Id = Id("1.0.0")
    label_details: LabelDetails | None = None
    performance_details: PerformanceJSON | None = None


@attrs.frozen(kw_only=True)
class Run:
    """``experiments.<model_id>.runs.<run_id>``."""

    name: Id | None = None
    run_data_row_id: Id | None = None
    labels: list[RunAnnotation] | None = None
    predictions: list[RunAnnotation] | None = None
    split: Split | None = None


@attrs.frozen(kw_only=True)
class Experiment:
    """``experiments.<model_id>``."""

    name: Id | None = None
    runs: dict[Id, Run] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ImportRow:
    """One line of an import: a data row with its sections, in the export format."""

    data_row: DataRow
    media_attributes: MediaAttributesJSON | None = None
    attachments: list[Attachment] | None = None
    metadata_fields: list[MetadataField] | None = None
    embeddings: list[Embedding] | None = None
    projects: dict[Id, ProjectSection] | None = None
    experiments: dict[Id, Experiment] | None = None


ROW_KEYS = tuple(a.name for a in attrs.fields(ImportRow))
