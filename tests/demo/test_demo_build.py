"""The demo catalog holds what it promises: every media type, state, kind and entity."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from demo_support import BULK_ROWS, geometry_problems, rows_of

from rowport.client import Client
from rowport.demo import DemoCatalog
from rowport.demo._media import pdf_media_boxes
from rowport.media_types import MediaType

MEDIA_TYPES = [m.value for m in MediaType]
STATUSES = {"TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE"}

Built = tuple[Client, DemoCatalog]


def test_every_media_type_has_a_dataset_ontology_and_project(built: Built) -> None:
    client, demo = built
    assert sorted(demo.project_ids) == sorted(MEDIA_TYPES)
    for media_type in MEDIA_TYPES:
        project = client.get_project(demo.project_ids[media_type])
        assert project.media_type == media_type
        assert project.ontology_id == demo.ontology_ids[media_type]
        rows = client.get_dataset(demo.dataset_ids[media_type]).data_rows()
        assert rows and {r.media_type for r in rows} == {media_type}
        assert all(r.media_attributes for r in rows)


def test_bulk_rows_are_labelled_images_in_the_image_project(built: Built) -> None:
    client, demo = built
    bulk = client.get_dataset(demo.dataset_ids["bulk_images"])
    assert bulk.row_count == BULK_ROWS == demo.bulk_rows
    labelled = {lab.data_row_id for lab in client.get_project(demo.project_ids["image"]).labels()}
    assert {r.uid for r in bulk.data_rows()} <= labelled


def test_file_rows_point_at_the_files_made(built: Built) -> None:
    client, demo = built
    files = 0
    for key, dataset_id in demo.dataset_ids.items():
        for row in client.get_dataset(dataset_id).data_rows():
            if row.row_data.startswith("file://"):
                path = Path(unquote(urlparse(row.row_data).path))
                assert path.is_absolute() and path.is_file(), (key, row.row_data)
                files += 1
    assert files >= 10


def test_stored_media_attributes_match_the_files(built: Built) -> None:
    client, demo = built
    for media_type in ("image", "audio", "document"):
        for row in client.get_dataset(demo.dataset_ids[media_type]).data_rows():
            attrs = row.media_attributes or {}
            path = Path(unquote(urlparse(row.row_data).path))
            if media_type == "image":
                from PIL import Image

                with Image.open(path) as img:
                    assert (attrs["width"], attrs["height"]) == img.size
                    orientation = img.getexif().get(0x0112, 1)
                assert attrs["exif_rotation"] == str(orientation)
            elif media_type == "audio":
                import wave

                with wave.open(str(path), "rb") as wav:
                    assert attrs["duration_ms"] == round(
                        wav.getnframes() * 1000 / wav.getframerate()
                    )
                    assert attrs["channels"] == wav.getnchannels()
            else:
                assert attrs["page_count"] == len(pdf_media_boxes(path.read_bytes())) == 2
    rotations = {
        (r.media_attributes or {})["exif_rotation"]
        for r in client.get_dataset(demo.dataset_ids["image"]).data_rows()
    }
    assert rotations == {"1", "6"}


def test_metadata_of_all_four_kinds_attachments_and_embeddings(built: Built) -> None:
    client, demo = built
    kinds = {s["kind"] for s in client.get_metadata_schemas()}
    assert kinds == {"string", "number", "datetime", "enum"}
    attachment_types: set[str] = set()
    for media_type in MEDIA_TYPES:
        for row in client.get_dataset(demo.dataset_ids[media_type]).data_rows():
            assert {m["schema_name"] for m in row.metadata_fields()} == set(
                demo.metadata_schema_ids
            )
            assert len(row.embeddings()) == 1
            attachment_types |= {a["type"] for a in row.attachments()}
    assert len(attachment_types) >= 6


def test_every_project_has_two_batches_tags_and_reviews(built: Built) -> None:
    client, demo = built
    for media_type in MEDIA_TYPES:
        project = client.get_project(demo.project_ids[media_type])
        priorities = {b.priority for b in project.batches()}
        assert len(priorities) >= 2
        assert {t["text"] for t in project.tags()} == {"demo", media_type}
        actions = {r["action"] for lab in project.labels() for r in lab.reviews}
        assert actions == {"Approve", "Reject"}
        assert all(lab.performance_details for lab in project.labels())


def test_every_project_has_rows_in_every_workflow_status(built: Built) -> None:
    client, demo = built
    for media_type in MEDIA_TYPES:
        project = client.get_project(demo.project_ids[media_type])
        rows = client.get_dataset(demo.dataset_ids[media_type]).data_rows()
        seen = {project.workflow_state(r)["workflow_status"] for r in rows}
        assert seen == STATUSES, media_type
        assert demo.workflow_counts[media_type].keys() == STATUSES


def test_model_run_has_splits_labels_and_predictions(built: Built) -> None:
    client, demo = built
    run = client.get_model_run(demo.model_run_id)
    assert run.model_id == demo.model_id
    assert run.size == demo.model_run_rows
    assert len(run.predictions()) == demo.prediction_count > 0
    assert len(run.labels()) > 0
    rows = rows_of(run.export(params={"model_run_details": True}))
    splits = {r["experiments"][demo.model_id]["runs"][demo.model_run_id]["split"] for r in rows}
    assert splits == {"training", "validation", "test"}


def test_slice_selects_the_labelled_images(built: Built) -> None:
    client, demo = built
    rows = rows_of(client.get_slice(demo.slice_id).export())
    labelled_demo_images = demo.label_counts["image"]
    assert len(rows) == labelled_demo_images


def test_demo_labels_are_valid_and_inside_their_assets(built: Built) -> None:
    client, demo = built
    for media_type in MEDIA_TYPES:
        rows = rows_of(client.get_project(demo.project_ids[media_type]).export())
        labelled = [r for r in rows if next(iter(r["projects"].values()))["labels"]]
        assert labelled, media_type
        for row in labelled:
            assert geometry_problems(row, media_type) == [], row["data_row"]["global_key"]


def test_document_page_dimensions_are_the_pdf_pages(built: Built) -> None:
    client, demo = built
    for row in rows_of(client.get_project(demo.project_ids["document"]).export()):
        pages = pdf_media_boxes(Path(urlparse(row["data_row"]["row_data"]).path).read_bytes())
        for label in next(iter(row["projects"].values()))["labels"]:
            for obj in label["annotations"]["objects"]:
                if "page_dimensions" in obj:
                    dims = obj["page_dimensions"]
                    assert (dims["width"], dims["height"]) == pages[obj["page_number"] - 1]


def test_broken_rows_import_but_their_geometry_is_wrong(built: Built) -> None:
    client, demo = built
    assert {
        "image_bbox_outside",
        "text_entity_past_end",
        "video_segment_reversed",
        "audio_timestamp_past_end",
    } <= set(demo.broken)
    for key, broken in demo.broken.items():
        assert broken.project_id == demo.broken_project_ids[broken.media_type]
        assert broken.project_id not in demo.project_ids.values()
        project = client.get_project(broken.project_id)
        assert broken.label_id in {lab.uid for lab in project.labels()}
        rows = rows_of(project.export(filters={"global_keys": [broken.global_key]}))
        assert len(rows) == 1
        assert geometry_problems(rows[0], broken.media_type), key
