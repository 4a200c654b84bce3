"""Building the demo catalog: every media type, every workflow state, a model run, a slice.

:func:`build_demo` uses only the public client API, the way a user would fill a home.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from rowport.demo import _annotations as ann
from rowport.demo._broken import BrokenRow, add_broken_rows
from rowport.demo._media import (
    CONVERSATION,
    HTML_PAGE,
    SHORT_TEXTS,
    TEXT,
    TILE_LAYER,
    VIDEOS,
    make_media,
    pdf_media_boxes,
    probe_media,
    video_attributes,
)
from rowport.demo._ontologies import ONTOLOGIES
from rowport.media_types import MediaType

if TYPE_CHECKING:
    from rowport.client import Client
    from rowport.entities import Label, Ontology, Project

__all__ = ["BrokenRow", "DemoCatalog", "build_demo"]

MEDIA_TYPES: tuple[str, ...] = tuple(m.value for m in MediaType)
WORKFLOW_STATUSES = ("TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE")
BULK_CHUNK = 500
BULK_SIZE = (1280, 720)
EMBEDDING_DIMS = 8
LABELLERS = ("ana@demo.example", "bo@demo.example", "chen@demo.example")

Annotate = Callable[["Ontology"], dict[str, Any]]


@attrs.frozen(kw_only=True)
class DemoCatalog:
    """What :func:`build_demo` made: ids to find it again and counts to check it by.

    ``project_ids``, ``ontology_ids`` and ``row_counts`` are keyed by media type;
    ``dataset_ids`` too, plus ``"bulk_images"`` and ``"broken"``. ``label_counts`` and
    ``workflow_counts`` (status -> rows) are per media type's project; the image project also
    holds the bulk rows. The rows in ``broken`` live in their own projects
    (``broken_project_ids``), so the eight demo projects export without problems.
    """

    home: Path
    media: dict[str, Path]
    dataset_ids: dict[str, str]
    project_ids: dict[str, str]
    ontology_ids: dict[str, str]
    broken_project_ids: dict[str, str]
    model_id: str
    model_run_id: str
    slice_id: str
    embedding_id: str
    metadata_schema_ids: dict[str, str]
    row_counts: dict[str, int]
    label_counts: dict[str, int]
    workflow_counts: dict[str, dict[str, int]]
    review_counts: dict[str, int]
    model_run_rows: int
    prediction_count: int
    bulk_rows: int
    broken: dict[str, BrokenRow]


@attrs.frozen(kw_only=True)
class _Row:
    """One demo data row before it exists: its asset, attributes and how to label it."""

    name: str
    row_data: str
    media_attributes: dict[str, Any]
    annotate: Annotate
    attachments: tuple[dict[str, str], ...] = ()


def _fixed(build: Callable[..., dict[str, Any]], *args: Any) -> Annotate:
    """An annotator that needs no ontology: ``build(*args)``."""

    def annotate(_ontology: Ontology) -> dict[str, Any]:
        return build(*args)

    return annotate


def _audio(duration_ms: int) -> Annotate:
    """Audio timestamps carry their features' ids, so they read them from the ontology."""

    def annotate(ontology: Ontology) -> dict[str, Any]:
        return ann.audio_annotations(duration_ms, ontology.classifications)

    return annotate


# (workflow status, reviews) for the demo rows of each project, in row order
_PLAN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DONE", ("Approve",)),
    ("DONE", ("Reject", "Approve")),
    ("IN_REVIEW", ()),
    ("IN_REWORK", ("Reject",)),
    ("TO_LABEL", ()),
)


def _image_bounds(attributes: dict[str, Any]) -> tuple[int, int]:
    """Width and height that hold in both readings of a rotated (EXIF 5-8) image."""
    w, h = int(attributes["width"]), int(attributes["height"])
    if attributes.get("exif_rotation") in ("5", "6", "7", "8"):
        return min(w, h), min(w, h)
    return w, h


def _conversation_attributes(conversation: dict[str, Any]) -> dict[str, Any]:
    messages = conversation["messages"]
    return {
        "asset_type": "conversational",
        "mime_type": "application/vnd.labelbox.conversational",
        "labelable_ids": [m["messageId"] for m in messages if m.get("canLabel")],
        "message_count": len(messages),
    }


def _plan_rows(media: dict[str, Path], probed: dict[str, dict[str, Any]]) -> dict[str, list[_Row]]:
    """Five rows per media type, referencing the files made (or inline content)."""
    uri = {key: path.as_uri() for key, path in media.items()}
    rows: dict[str, list[_Row]] = {}

    images = []
    for name, key in (
        ("street", "street_jpg"),
        ("rotated", "rotated_jpg"),
        ("diagram", "diagram_png"),
        ("street-dusk", "street_jpg"),
        ("diagram-copy", "diagram_png"),
    ):
        attributes = dict(probed[key])
        w, h = _image_bounds(attributes)
        images.append(
            _Row(
                name=name,
                row_data=uri[key],
                media_attributes=attributes,
                annotate=_fixed(ann.image_annotations, w, h),
                attachments=(
                    {"type": "IMAGE_OVERLAY", "value": uri["diagram_png"], "name": "overlay"},
                    {"type": "RAW_TEXT", "value": "Shot on Main St., 9:30 am", "name": "note"},
                )
                if name == "street"
                else (),
            )
        )
    rows["image"] = images

    rows["video"] = [
        _Row(
            name=file.rsplit(".", 1)[0],
            row_data=f"https://storage.example/demo/{file}",
            media_attributes=video_attributes(w, h, rate, count, codec, mime),
            annotate=_fixed(
                ann.video_annotations, video_attributes(w, h, rate, count, codec, mime)
            ),
            attachments=(
                {"type": "VIDEO", "value": "https://storage.example/demo/clip-preview.mp4"},
                {"type": "TEXT_URL", "value": "https://storage.example/demo/clip-notes.txt"},
            )
            if i == 0
            else (),
        )
        for i, (file, w, h, rate, count, codec, mime) in enumerate(VIDEOS)
    ]

    texts = [("article", TEXT, TEXT), ("article-file", uri["article_txt"], TEXT)]
    texts += [(f"snippet-{i + 1}", t, t) for i, t in enumerate(SHORT_TEXTS)]
    rows["text"] = [
        _Row(
            name=name,
            row_data=row_data,
            media_attributes=dict(probed["article_txt"]),
            annotate=_fixed(ann.text_annotations, content),
            attachments=(
                {"type": "HTML", "value": "<p>From <b>the notes</b> of 1843</p>", "name": "src"},
                {"type": "CSV_URL", "value": "https://storage.example/demo/people.csv"},
            )
            if name == "article"
            else (),
        )
        for name, row_data, content in texts
    ]

    conversations = []
    for i, count in enumerate((5, 3, 4, 5, 2)):
        conversation = {**CONVERSATION, "messages": CONVERSATION["messages"][:count]}
        conversations.append(
            _Row(
                name=f"chat-{i + 1}",
                row_data=orjson.dumps(conversation).decode(),
                media_attributes=_conversation_attributes(conversation),
                annotate=_fixed(ann.conversational_annotations, conversation),
            )
        )
    rows["conversational"] = conversations

    pages = pdf_media_boxes(media["invoice_pdf"].read_bytes())
    rows["document"] = [
        _Row(
            name=f"invoice-{i + 1}",
            row_data=uri["invoice_pdf"],
            media_attributes=dict(probed["invoice_pdf"]),
            annotate=_fixed(ann.document_annotations, pages, f"invoice-{i}"),
            attachments=(
                {"type": "PDF_URL", "value": uri["invoice_pdf"], "name": "original"},
                {"type": "IMAGE", "value": uri["street_jpg"], "name": "scan"},
            )
            if i == 0
            else (),
        )
        for i in range(5)
    ]

    tiles = []
    for i in range(5):
        (west, south), (east, north) = TILE_LAYER["bounds"]
        shift = round(i * 0.025, 6)
        bounds = [[round(west + shift, 6), south], [round(east + shift, 6), north]]
        layer = {**TILE_LAYER, "bounds": bounds}
        tiles.append(
            _Row(
                name=f"tile-{i + 1}",
                row_data=orjson.dumps(layer).decode(),
                media_attributes=dict(probed["tile_layer_json"]),
                annotate=_fixed(ann.geospatial_annotations, bounds),
            )
        )
    rows["geospatial"] = tiles

    rows["audio"] = [
        _Row(
            name=f"{key.split('_')[0]}-{i + 1}",
            row_data=uri[key],
            media_attributes=dict(probed[key]),
            annotate=_audio(probed[key]["duration_ms"]),
            attachments=({"type": "RAW_TEXT", "value": "Recorded in a quiet room"},)
            if i == 0
            else (),
        )
        for i, key in enumerate(
            ("speech_wav", "chime_wav", "speech_wav", "chime_wav", "speech_wav")
        )
    ]

    rows["html"] = [
        _Row(
            name=f"policy-{days}d",
            row_data=HTML_PAGE.replace("30 days", f"{days} days"),
            media_attributes=dict(probed["policy_html"]),
            annotate=_fixed(ann.html_annotations),
        )
        for days in (30, 14, 60, 90, 7)
    ]
    return rows


class _Builder:
    """Fills one client's catalog; keeps what it made for :class:`DemoCatalog`."""

    def __init__(self, client: Client, media_dir: Path, bulk_rows: int) -> None:
        self.client = client
        self.media = make_media(media_dir)
        self.probed = probe_media(self.media)
        self.bulk_rows = bulk_rows
        self.dataset_ids: dict[str, str] = {}
        self.project_ids: dict[str, str] = {}
        self.projects: dict[str, Project] = {}
        self.ontologies: dict[str, Ontology] = {}
        self.row_ids: dict[str, list[str]] = {}
        self.labels: dict[str, list[Label]] = {}
        self.row_counts: Counter[str] = Counter()
        self.workflow: dict[str, Counter[str]] = {}
        self.reviews: Counter[str] = Counter()

    # -- shared pieces ------------------------------------------------------------------------

    def schemas(self) -> None:
        c = self.client
        self.schema_ids = {
            "source": c.create_metadata_schema("source", "string")["id"],
            "quality score": c.create_metadata_schema("quality score", "number")["id"],
            "captured at": c.create_metadata_schema("captured at", "datetime")["id"],
            "license": c.create_metadata_schema(
                "license", "enum", options=["cc-by-4.0", "cc0", "internal"]
            )["id"],
        }
        self.embedding_id = c.create_embedding("demo-clip-8d", EMBEDDING_DIMS)["id"]

    def row_extras(self, media_type: str, i: int, key: str) -> dict[str, Any]:
        rng = random.Random(key)
        return {
            "metadata_fields": [
                {"name": "source", "value": f"demo/{media_type}"},
                {"name": "quality score", "value": round(0.5 + rng.random() / 2, 3)},
                {"name": "captured at", "value": f"2024-05-{i % 28 + 1:02d}T09:30:00+00:00"},
                {"name": "license", "value": ("cc-by-4.0", "cc0", "internal")[i % 3]},
            ],
            "embeddings": [
                {
                    "embedding_id": self.embedding_id,
                    "vector": [round(rng.uniform(-1, 1), 4) for _ in range(EMBEDDING_DIMS)],
                }
            ],
        }

    def ontology(self, media_type: str) -> Ontology:
        tools, classifications = ONTOLOGIES[media_type]
        onto = self.client.create_ontology(
            f"Demo {media_type} ontology", tools, classifications, media_type=media_type
        )
        self.ontologies[media_type] = onto
        return onto

    @staticmethod
    def timings(rng: random.Random, status: str) -> dict[str, Any]:
        return {
            "seconds_to_create": round(rng.uniform(15, 240), 1),
            "seconds_to_review": round(rng.uniform(5, 60), 1) if status != "IN_REVIEW" else 0,
            "seconds_to_rework": round(rng.uniform(10, 90), 1) if status == "IN_REWORK" else 0,
        }

    def move(self, project: Project, ids: Sequence[str], status: str) -> None:
        """Walk rows through the workflow as a reviewer would: review first, then on."""
        if status == "TO_LABEL" or not ids:
            return
        project.move_data_rows_to_status(ids, "IN_REVIEW")
        if status != "IN_REVIEW":
            project.move_data_rows_to_status(ids, status)

    # -- one media type -----------------------------------------------------------------------

    def media_type(self, media_type: str, planned: list[_Row]) -> None:
        c = self.client
        dataset = c.create_dataset(f"Demo {media_type}", description=f"{media_type} demo rows")
        self.dataset_ids[media_type] = dataset.uid
        specs = []
        for i, row in enumerate(planned):
            key = f"demo/{media_type}/{i + 1}-{row.name}"
            spec: dict[str, Any] = {
                "row_data": row.row_data,
                "global_key": key,
                "external_id": row.name,
                "media_type": media_type,
                "media_attributes": row.media_attributes,
                **self.row_extras(media_type, i, key),
            }
            if row.attachments:
                spec["attachments"] = list(row.attachments)
            specs.append(spec)
        created = dataset.create_data_rows(specs)
        ids = [r.uid for r in created]
        self.row_ids[media_type] = ids
        self.row_counts[media_type] = len(ids)

        onto = self.ontology(media_type)
        project = c.create_project(f"Demo {media_type} project", media_type, onto)
        self.projects[media_type] = project
        self.project_ids[media_type] = project.uid
        project.add_tags(
            [{"text": "demo", "color": "#4f46e5"}, {"text": media_type, "color": "#059669"}]
        )
        project.create_batch(f"{media_type} priority", data_rows=ids[:2], priority=1)
        project.create_batch(f"{media_type} backlog", data_rows=ids[2:], priority=3)

        rng = random.Random(media_type)
        to_label = []
        by_status: dict[str, list[str]] = {}
        for i, (row_id, row) in enumerate(zip(ids, planned, strict=True)):
            status, _ = _PLAN[i % len(_PLAN)]
            by_status.setdefault(status, []).append(row_id)
            if status != "TO_LABEL":
                to_label.append(
                    {
                        "data_row_id": row_id,
                        "annotations": row.annotate(onto),
                        "created_by": LABELLERS[i % len(LABELLERS)],
                        **self.timings(rng, status),
                    }
                )
        labels = project.import_labels(to_label)
        self.labels[media_type] = labels
        by_row = {lab.data_row_id: lab for lab in labels}
        for i, row_id in enumerate(ids):
            _, reviews = _PLAN[i % len(_PLAN)]
            for action in reviews:
                by_row[row_id].add_review(action)
                self.reviews[action] += 1
        for status, status_ids in by_status.items():
            self.move(project, status_ids, status)
        self.workflow[media_type] = Counter({s: len(v) for s, v in by_status.items()})

    # -- bulk images --------------------------------------------------------------------------

    def bulk(self) -> list[tuple[str, dict[str, Any]]]:
        """``bulk_rows`` synthetic image rows, labelled, in the image project, 500 at a time.

        Returns ``(data_row_id, annotations as built)`` of the first rows, for the model run.
        """
        if self.bulk_rows <= 0:
            return []
        dataset = self.client.create_dataset("Demo bulk images", description="synthetic rows")
        self.dataset_ids["bulk_images"] = dataset.uid
        project = self.projects["image"]
        width, height = BULK_SIZE
        kept: list[tuple[str, dict[str, Any]]] = []
        statuses = ("DONE", "DONE", "DONE", "IN_REVIEW", "IN_REWORK")
        for chunk, start in enumerate(range(0, self.bulk_rows, BULK_CHUNK)):
            stop = min(start + BULK_CHUNK, self.bulk_rows)
            specs = []
            for i in range(start, stop):
                key = f"demo/bulk/{i:06d}"
                specs.append(
                    {
                        "row_data": f"https://storage.example/bulk/frame-{i:06d}.jpg",
                        "global_key": key,
                        "external_id": f"frame-{i:06d}.jpg",
                        "media_type": "image",
                        "media_attributes": {
                            "height": height,
                            "width": width,
                            "asset_type": "image",
                            "mime_type": "image/jpeg",
                            "exif_rotation": "1",
                        },
                        **self.row_extras("bulk", i, key),
                    }
                )
            ids = [r.uid for r in dataset.create_data_rows(specs)]
            project.create_batch(f"bulk {chunk + 1}", data_rows=ids, priority=5 - chunk % 3)
            rng = random.Random(f"bulk-{chunk}")
            built = [ann.bulk_image_annotations(width, height, rng) for _ in ids]
            status_of = [statuses[(start + j) % len(statuses)] for j in range(len(ids))]
            labels = project.import_labels(
                [
                    {
                        "data_row_id": row_id,
                        "annotations": a,
                        "created_by": LABELLERS[j % len(LABELLERS)],
                        **self.timings(rng, status_of[j]),
                    }
                    for j, (row_id, a) in enumerate(zip(ids, built, strict=True))
                ]
            )
            self.labels["image"].extend(labels)
            for j, label in enumerate(labels[:25]):
                action = "Reject" if status_of[j] == "IN_REWORK" else "Approve"
                if status_of[j] != "IN_REVIEW":
                    label.add_review(action)
                    self.reviews[action] += 1
            for status in set(status_of):
                chosen = [r for r, s in zip(ids, status_of, strict=True) if s == status]
                self.move(project, chosen, status)
                self.workflow["image"][status] += len(chosen)
            self.row_counts["bulk_images"] += len(ids)
            if len(kept) < 200:
                kept.extend(zip(ids[: 200 - len(kept)], built, strict=False))
        return kept

    # -- model run and slice ---------------------------------------------------------------

    def model(self, bulk: list[tuple[str, dict[str, Any]]]) -> tuple[str, str, int, int]:
        onto = self.ontologies["image"]
        model = self.client.create_model("Demo vehicle detector", onto)
        run = model.create_model_run("baseline-v1")
        image_rows = self.row_ids["image"]
        labelled = {lab.data_row_id: lab for lab in self.labels["image"]}
        run.upsert_data_rows(image_rows)
        run.add_labels([labelled[r] for r in image_rows if r in labelled])
        run.add_labels([labelled[r] for r, _ in bulk])
        width, height = BULK_SIZE
        predictions = []
        for row_id in image_rows:
            label = labelled.get(row_id)
            if label is not None:
                attributes = self.client.get_data_row(row_id).media_attributes or {}
                w, h = _image_bounds(attributes)
                predictions.append(
                    {
                        "data_row_id": row_id,
                        "annotations": ann.image_prediction(label.annotations, w, h, row_id),
                    }
                )
        for row_id, built in bulk:
            predictions.append(
                {
                    "data_row_id": row_id,
                    "annotations": ann.image_prediction(built, width, height, row_id),
                }
            )
        run.add_predictions(predictions)
        members = image_rows + [r for r, _ in bulk]
        cut1, cut2 = int(len(members) * 0.7), int(len(members) * 0.9)
        run.assign_split(members[:cut1], "training")
        run.assign_split(members[cut1:cut2], "validation")
        run.assign_split(members[cut2:], "test")
        return model.uid, run.uid, len(members), len(predictions)

    def slice(self) -> str:
        dataset_ids = [self.dataset_ids["image"]]
        if "bulk_images" in self.dataset_ids:
            dataset_ids.append(self.dataset_ids["bulk_images"])
        return self.client.create_slice(
            "Labelled images",
            {"dataset_ids": dataset_ids, "media_types": ["image"], "has_labels": True},
        ).uid


def build_demo(client: Client, media_dir: Path, *, bulk_rows: int = 2000) -> DemoCatalog:
    """Fill ``client``'s catalog with the demo: media files made in ``media_dir``, one dataset,
    ontology and project per media type (every workflow status, reviews, timings, tags),
    metadata of all four kinds, attachments, embeddings, ``bulk_rows`` labelled synthetic
    images, a model run with splits and predictions, a slice, and deliberately broken rows.
    """
    builder = _Builder(client, Path(media_dir), bulk_rows)
    builder.schemas()
    for media_type, planned in _plan_rows(builder.media, builder.probed).items():
        builder.media_type(media_type, planned)
    bulk = builder.bulk()
    model_id, run_id, run_rows, predictions = builder.model(bulk)
    slice_id = builder.slice()
    fixtures = add_broken_rows(client, builder.media, builder.probed, builder.ontologies)
    return DemoCatalog(
        home=client.home,
        media=builder.media,
        dataset_ids={**builder.dataset_ids, "broken": fixtures.dataset_id},
        project_ids={m: builder.project_ids[m] for m in MEDIA_TYPES},
        ontology_ids={m: builder.ontologies[m].uid for m in MEDIA_TYPES},
        broken_project_ids=fixtures.project_ids,
        model_id=model_id,
        model_run_id=run_id,
        slice_id=slice_id,
        embedding_id=builder.embedding_id,
        metadata_schema_ids=builder.schema_ids,
        row_counts={**builder.row_counts, "broken": len(fixtures.rows)},
        label_counts={m: len(builder.labels[m]) for m in MEDIA_TYPES},
        workflow_counts={
            m: {s: builder.workflow[m][s] for s in WORKFLOW_STATUSES} for m in MEDIA_TYPES
        },
        review_counts=dict(builder.reviews),
        model_run_rows=run_rows,
        prediction_count=predictions,
        bulk_rows=builder.row_counts["bulk_images"],
        broken=fixtures.rows,
    )
