"""Annotations are stored in the reference's shape, so exports carry it whatever was imported.

``canonical_annotations`` is checked on its own (against the reference's fragments, whose key
order it must keep byte for byte, and with every dict of them shuffled), then through the write
paths: ``import_labels``, model-run predictions and model-run labels.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from export_support import SAMPLES, result_bytes, result_rows

import rowport
from rowport._canonical import annotation_skeleton, canonical_annotations
from rowport.errors import InvalidInput
from rowport.media_types import MediaType

PARTIAL = SAMPLES / "partial"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"needs: the reference samples at {SAMPLES}"
)

# an image box's keys (and its bounding box's) in the reference's order
BOX_KEYS = [
    "feature_id",
    "feature_schema_id",
    "name",
    "value",
    "annotation_kind",
    "classifications",
    "bounding_box",
]

# reference fragments whose annotations are in the reference's own key order
FRAGMENTS = {
    "audio.annotations_expected_by_sdk_test.json": "audio",
    "conversational.annotations_expected_by_sdk_test.json": "conversational",
    "document.annotations_expected_by_sdk_test.json": "document",
    "html.annotations_expected_by_sdk_test.json": "html",
    "image.annotations_expected_by_sdk_test.json": "image",
    "text.annotations_expected_by_sdk_test.json": "text",
    "video.annotations_expected_by_sdk_test.json": "video",
}


def fragment(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((PARTIAL / name).read_bytes())
    return data


def shuffled(value: Any, rng: random.Random) -> Any:
    """``value`` with the keys of every dict inside it in a random order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


# -- the function -----------------------------------------------------------------------------


@needs_samples
@pytest.mark.parametrize("name", FRAGMENTS)
def test_reference_fragments_are_already_canonical_byte_for_byte(name: str) -> None:
    annotations = fragment(name)
    out = canonical_annotations(FRAGMENTS[name], annotations)
    assert orjson.dumps(out) == orjson.dumps(annotations)


@needs_samples
def test_reference_video_label_is_already_canonical_byte_for_byte() -> None:
    annotations = fragment("video.label_expected_by_sdk_test.json")["annotations"]
    assert orjson.dumps(canonical_annotations("video", annotations)) == orjson.dumps(annotations)


@needs_samples
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("name", FRAGMENTS)
def test_any_key_order_comes_back_in_the_reference_order(name: str, seed: int) -> None:
    annotations = fragment(name)
    scrambled = shuffled(annotations, random.Random(seed))
    out = canonical_annotations(FRAGMENTS[name], scrambled)
    assert orjson.dumps(out) == orjson.dumps(annotations)


@needs_samples
def test_alphabetically_sorted_sample_gets_the_reference_order_and_stays_equal() -> None:
    row = orjson.loads((SAMPLES / "image.json").read_bytes())
    (project,) = row["projects"].values()
    annotations = project["labels"][0]["annotations"]
    out = canonical_annotations("image", annotations)
    assert out == annotations
    assert list(out) == ["objects", "classifications", "relationships"]
    (box,) = out["objects"]
    assert list(box) == BOX_KEYS
    assert list(box["bounding_box"]) == ["top", "left", "height", "width"]
    radio = out["classifications"][0]
    assert list(radio) == ["feature_id", "feature_schema_id", "name", "value", "radio_answer"]
    assert list(radio["radio_answer"]) == [
        "feature_id",
        "feature_schema_id",
        "name",
        "value",
        "classifications",
    ]


@pytest.mark.parametrize(
    ("media", "keys"),
    [
        ("image", ["objects", "classifications", "relationships"]),
        ("text", ["objects", "classifications", "relationships"]),
        ("document", ["objects", "classifications", "relationships"]),
        ("geospatial", ["objects", "classifications", "relationships"]),
        ("conversational", ["objects", "classifications", "relationships"]),
        ("html", ["objects", "classifications", "relationships"]),
        ("audio", ["classifications", "segments", "timestamp"]),
        ("video", ["frames", "segments", "key_frame_feature_map", "classifications"]),
    ],
)
def test_every_media_type_gets_its_skeleton(media: str, keys: list[str]) -> None:
    assert list(canonical_annotations(media, {})) == keys
    assert canonical_annotations(media, {}) == annotation_skeleton(media)


def test_missing_top_level_keys_are_added_empty_and_present_ones_kept() -> None:
    box = {"name": "box", "annotation_kind": "ImageBoundingBox", "bounding_box": {"top": 1}}
    out = canonical_annotations("image", {"objects": [box]})
    assert out == {"objects": [box], "classifications": [], "relationships": []}


def test_unknown_keys_follow_the_known_ones_in_the_order_given() -> None:
    out = canonical_annotations(
        MediaType.IMAGE,
        {
            "zeta": 1,
            "objects": [
                {
                    "extra": True,
                    "bounding_box": {"width": 4, "depth": 9, "top": 1, "height": 3, "left": 2},
                    "name": "box",
                    "feature_id": "f",
                    "annotation_kind": "ImageBoundingBox",
                    "aardvark": 0,
                }
            ],
            "alpha": 2,
        },
    )
    assert list(out) == ["objects", "classifications", "relationships", "zeta", "alpha"]
    (obj,) = out["objects"]
    assert list(obj) == [
        "feature_id",
        "name",
        "annotation_kind",
        "bounding_box",
        "extra",
        "aardvark",
    ]
    assert list(obj["bounding_box"]) == ["top", "left", "height", "width", "depth"]


def test_nothing_is_invented_inside_objects_classifications_or_answers() -> None:
    obj = {"polygon": [{"x": 1, "y": 2}], "name": "p"}
    cls = {"radio_answer": {"name": "a"}, "name": "q"}
    out = canonical_annotations("image", {"objects": [obj], "classifications": [cls]})
    assert out["objects"] == [{"name": "p", "polygon": [{"x": 1, "y": 2}]}]
    assert out["classifications"] == [{"name": "q", "radio_answer": {"name": "a"}}]


def test_video_frames_get_objects_and_classifications_and_ordered_objects() -> None:
    frame_object = {
        "bounding_box": {"height": 3, "width": 4, "left": 2, "top": 1},
        "classifications": [],
        "annotation_kind": "VideoBoundingBox",
        "feature_id": "f1",
    }
    out = canonical_annotations(
        "video", {"frames": {"3": {"objects": {"f1": frame_object}}, "5": {}}}
    )
    assert list(out) == ["frames", "segments", "key_frame_feature_map", "classifications"]
    assert out["frames"]["5"] == {"objects": {}, "classifications": []}
    obj = out["frames"]["3"]["objects"]["f1"]
    assert list(obj) == ["feature_id", "annotation_kind", "classifications", "bounding_box"]
    assert list(obj["bounding_box"]) == ["top", "left", "height", "width"]


def test_nested_classifications_are_ordered_at_every_depth() -> None:
    deep = {
        "classifications": [
            {"text_answer": {"content": "x"}, "value": "t", "name": "t", "feature_id": "c"}
        ],
        "value": "a",
        "name": "a",
    }
    out = canonical_annotations(
        "text",
        {
            "objects": [
                {
                    "location": {"start": 0, "end": 1},
                    "classifications": [{"checklist_answers": [deep], "name": "q"}],
                    "name": "e",
                }
            ]
        },
    )
    answer = out["objects"][0]["classifications"][0]["checklist_answers"][0]
    assert list(answer) == ["name", "value", "classifications"]
    assert list(answer["classifications"][0]) == ["feature_id", "name", "value", "text_answer"]


def test_message_id_follows_the_feature_in_a_conversational_classification() -> None:
    cls = {"conversational_text_answer": {"content": "x"}, "message_id": "0", "name": "q"}
    (out,) = canonical_annotations("conversational", {"classifications": [cls]})["classifications"]
    assert list(out) == ["name", "message_id", "conversational_text_answer"]


def test_canonical_is_idempotent_and_leaves_its_input_alone() -> None:
    given = {
        "relationships": [{"relationship": {"source": "a"}, "name": "r", "odd": 1}],
        "objects": [{"point": {"y": 1, "x": 2}, "value": "p", "name": "p"}, "not a dict"],
        "classifications": "not a list",
    }
    before = copy.deepcopy(given)
    once = canonical_annotations("image", given)
    assert given == before and list(given) == list(before)
    twice = canonical_annotations("image", once)
    assert orjson.dumps(twice) == orjson.dumps(once)
    assert once["objects"][1] == "not a dict"
    assert once["classifications"] == "not a list"


@pytest.mark.parametrize("value", [[], "objects", None])
def test_annotations_that_are_not_a_dict_are_refused(value: Any) -> None:
    with pytest.raises(InvalidInput, match="annotations must be a dict"):
        canonical_annotations("image", value)


def test_an_unknown_media_type_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown media type"):
        canonical_annotations("hologram", {})


# -- the write paths --------------------------------------------------------------------------

TOOLS = [{"tool": "bbox", "name": "box"}]
CLASSIFICATIONS = [{"type": "text", "name": "note"}]
SCRAMBLED_BOX = {
    "bounding_box": {"width": 4.0, "height": 3.0, "left": 2.0, "top": 1.0},
    "annotation_kind": "ImageBoundingBox",
    "name": "box",
}


@pytest.fixture
def client(tmp_path: Path) -> Any:
    with rowport.Client(tmp_path / "home") as c:
        yield c


def _project_with_row(client: rowport.Client, media: str = "image") -> tuple[Any, Any]:
    ontology = client.create_ontology("o", tools=TOOLS, classifications=CLASSIFICATIONS)
    project = client.create_project("p", media, ontology)
    dataset = client.create_dataset("d")
    row_data = {
        "image": "https://example.com/a.jpg",
        "video": "https://example.com/a.mp4",
        "audio": "https://example.com/a.wav",
    }[media]
    (row,) = dataset.create_data_rows([{"row_data": row_data, "global_key": f"k-{media}"}])
    project.create_batch("b", [row.uid])
    return project, row


def _annotations(task: Any) -> dict[str, Any]:
    (row,) = result_rows(task)
    section = next(iter((row.get("projects") or row["experiments"]).values()))
    if "runs" in section:
        run = next(iter(section["runs"].values()))
        return {"labels": run["labels"], "predictions": run.get("predictions", [])}
    return {"labels": section["labels"]}


def test_label_imported_with_only_objects_exports_every_key_in_reference_order(
    client: rowport.Client, tmp_path: Path
) -> None:
    project, row = _project_with_row(client)
    project.import_labels([{"data_row_id": row.uid, "annotations": {"objects": [SCRAMBLED_BOX]}}])
    (label,) = _annotations(project.export())["labels"]
    annotations = label["annotations"]
    assert list(annotations) == ["objects", "classifications", "relationships"]
    assert annotations["classifications"] == [] and annotations["relationships"] == []
    (box,) = annotations["objects"]
    assert list(box) == BOX_KEYS
    assert list(box["bounding_box"]) == ["top", "left", "height", "width"]
    # the stored JSON is what the export writes: the bytes carry the same order
    raw = result_bytes(project.export(), tmp_path / "out.ndjson")
    assert b'"bounding_box":{"top":1.0,"left":2.0,"height":3.0,"width":4.0}' in raw


@pytest.mark.parametrize(
    ("media", "given", "keys"),
    [
        (
            "video",
            {"classifications": []},
            ["frames", "segments", "key_frame_feature_map", "classifications"],
        ),
        ("audio", {"timestamp": {}}, ["classifications", "segments", "timestamp"]),
    ],
)
def test_video_and_audio_labels_get_their_own_skeleton(
    client: rowport.Client, media: str, given: dict[str, Any], keys: list[str]
) -> None:
    project, row = _project_with_row(client, media)
    project.import_labels([{"data_row_id": row.uid, "annotations": given}])
    (label,) = _annotations(project.export())["labels"]
    assert list(label["annotations"]) == keys


def test_predictions_and_run_labels_are_stored_canonical(client: rowport.Client) -> None:
    project, row = _project_with_row(client)
    (label,) = project.import_labels(
        [{"data_row_id": row.uid, "annotations": {"objects": [SCRAMBLED_BOX]}}]
    )
    model = client.create_model("m")
    run = model.create_model_run("r")
    run.add_labels([label])
    run.add_predictions([{"data_row_id": row.uid, "annotations": {"objects": [SCRAMBLED_BOX]}}])
    got = _annotations(run.export(params={"predictions": True}))
    for item in (*got["labels"], *got["predictions"]):
        annotations = item["annotations"]
        assert list(annotations) == ["objects", "classifications", "relationships"]
        assert list(annotations["objects"][0]["bounding_box"]) == ["top", "left", "height", "width"]


def test_run_labels_copied_from_an_imported_file_are_made_canonical(
    client: rowport.Client,
) -> None:
    # whatever shape an import stored, copying the label into a run stores it canonical
    row = {
        "data_row": {"id": "cfilerow00000000000000001", "row_data": "https://example.com/f.jpg"},
        "media_attributes": {},
        "projects": {
            "cfileproject0000000000001": {
                "name": "file",
                "labels": [
                    {
                        "label_kind": "Default",
                        "version": "1.0.0",
                        "id": "cfilelabel000000000000001",
                        "annotations": {"objects": []},
                    }
                ],
                "project_tags": [],
            }
        },
    }
    report = client.import_rows([row], strict=True)
    assert report.ok, report.errors
    run = client.create_model("m").create_model_run("r")
    run.add_labels(["cfilelabel000000000000001"])
    (label,) = run.labels()
    assert list(label["annotations"]) == ["objects", "classifications", "relationships"]
