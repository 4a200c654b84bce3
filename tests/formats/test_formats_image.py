"""COCO, YOLO and VOC from the demo's images, read back by pycocotools and globox."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from formats_support import Catalogs, export, first_label, rows_of

pycocotools = pytest.importorskip("pycocotools", reason="needs: pycocotools (the dev extra)")
globox = pytest.importorskip("globox", reason="needs: globox (the dev extra)")

from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402


@pytest.fixture(scope="module")
def images(catalogs: Catalogs) -> Any:
    return export(catalogs.client, catalogs.demo.project_ids["image"])


@pytest.fixture(scope="module")
def masked(catalogs: Catalogs) -> Any:
    return export(catalogs.client, catalogs.extra["image"])


def _boxes(task: Any) -> dict[str, list[tuple[str, tuple[float, float, float, float]]]]:
    """``{data row id: [(class, (x, y, w, h))]}`` of the boxes in the export."""
    out = {}
    for row in rows_of(task):
        label = first_label(row)
        if label is None:
            continue
        out[row["data_row"]["id"]] = sorted(
            (o["name"], tuple(o["bounding_box"][k] for k in ("left", "top", "width", "height")))
            for o in label["objects"]
            if "bounding_box" in o
        )
    return out


def _self_eval(path: Path, iou: str) -> float:
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(str(path))
        dets = truth.loadRes(
            [{**a, "score": 1.0} for a in truth.dataset["annotations"] if a["iscrowd"] == 0]
        )
        evaluation = COCOeval(truth, dets, iou)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])


def test_coco_loads_in_pycocotools_and_evaluates_against_itself_at_ap_1(
    images: Any, tmp_path: Path
) -> None:
    report = images.convert("coco", tmp_path / "coco")
    path = tmp_path / "coco" / "annotations" / "instances.json"
    assert _self_eval(path, "bbox") == pytest.approx(1.0)
    assert _self_eval(path, "segm") == pytest.approx(1.0)
    data = json.loads(path.read_text())
    # ids are unique and categories come from the ontology, in its order, from 1
    assert len({a["id"] for a in data["annotations"]}) == len(data["annotations"])
    assert [c["name"] for c in data["categories"]] == [
        "vehicle",
        "pedestrian",
        "road surface",
        "sky",
    ]
    by_row = {i["rowport_data_row_id"]: i["id"] for i in data["images"]}
    names = {c["id"]: c["name"] for c in data["categories"]}
    for row_id, boxes in _boxes(images).items():
        got = sorted(
            (names[a["category_id"]], tuple(a["bbox"]))
            for a in data["annotations"]
            if a["image_id"] == by_row[row_id]
            and a["segmentation"][0][:2] == a["bbox"][:2]
            and len(a["segmentation"][0]) == 8
        )
        assert got == boxes
    assert report.rows_written == len(data["images"])
    # the demo's lines, points, classifications and relationships are reported lost
    assert {"object_dropped", "classification_dropped", "relationship_dropped"} <= set(
        report.losses
    )


def test_coco_rle_from_a_readable_mask_matches_its_pixels(masked: Any, tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    masked.convert("coco", tmp_path / "coco")
    truth = COCO(str(tmp_path / "coco" / "annotations" / "instances.json"))
    (mask_ann,) = [a for a in truth.dataset["annotations"] if isinstance(a["segmentation"], dict)]
    decoded = truth.annToMask(mask_ann).astype(bool)
    label = first_label(rows_of(masked)[0])
    assert label is not None
    url = label["objects"][0]["composite_mask"]["url"]
    pixels = np.asarray(Image.open(url.removeprefix("file://")).convert("RGB"))
    assert (decoded == (pixels == [255, 0, 0]).all(axis=2)).all()
    assert mask_ann["bbox"] == [0, 0, 64, 16]
    assert _self_eval(
        tmp_path / "coco" / "annotations" / "instances.json", "segm"
    ) == pytest.approx(1.0)


def _fake_images(root: Path, index: Path, sizes: dict[str, tuple[int, int]]) -> Path:
    """Blank images of each row's size, named as ``images.csv`` says (globox reads sizes)."""
    from PIL import Image

    folder = root / "images"
    folder.mkdir()
    with index.open() as f:
        for line in csv.DictReader(f):
            Image.new("RGB", sizes[line["data_row_id"]]).save(
                folder / (Path(line["file"]).stem + ".jpg")
            )
    return folder


def test_yolo_detection_read_by_globox_gives_back_the_boxes(images: Any, tmp_path: Path) -> None:
    report = images.convert("yolo", tmp_path / "yolo")
    root = tmp_path / "yolo"
    rows = {r["data_row"]["id"]: r for r in rows_of(images)}
    sizes = {
        k: (r["media_attributes"]["width"], r["media_attributes"]["height"])
        for k, r in rows.items()
    }
    folder = _fake_images(tmp_path, root / "images.csv", sizes)
    read = globox.AnnotationSet.from_yolo_v5(root / "labels" / "train", image_folder=folder)
    yaml = (root / "data.yaml").read_text()
    assert '0: "vehicle"' in yaml and "nc: 4" in yaml
    names = ["vehicle", "pedestrian", "road surface", "sky"]
    expected = _boxes(images)
    assert len(read) == len(expected) == report.rows_written
    for annotation in read:
        got = sorted(
            (names[int(b.label)], tuple(round(v, 2) for v in b.ltwh)) for b in annotation.boxes
        )
        want = [
            (n, tuple(round(v, 2) for v in box))
            for n, box in expected[Path(annotation.image_id).stem]
        ]
        # the polygon (road surface) becomes its box: a counted loss
        assert [g for g in got if g[0] != "road surface"] == want
    assert report.losses["polygon_to_box"]["count"] > 0


def test_yolo_segmentation_writes_normalized_polygons(images: Any, tmp_path: Path) -> None:
    images.convert("yolo", tmp_path / "seg", {"task": "segment"})
    rows = {r["data_row"]["id"]: r for r in rows_of(images)}
    row = next(r for r in rows.values() if r["data_row"].get("external_id") == "street")
    label = first_label(row)
    assert label is not None
    polygon = next(o for o in label["objects"] if "polygon" in o)["polygon"][:-1]
    w, h = row["media_attributes"]["width"], row["media_attributes"]["height"]
    lines = (
        (tmp_path / "seg" / "labels" / "train" / f"{row['data_row']['id']}.txt")
        .read_text()
        .splitlines()
    )
    values = [float(v) for v in next(x for x in lines if x.startswith("2 ")).split()[1:]]
    assert values == pytest.approx([c for p in polygon for c in (p["x"] / w, p["y"] / h)], abs=1e-6)


def test_voc_read_by_globox_gives_back_the_boxes_one_based(images: Any, tmp_path: Path) -> None:
    images.convert("voc", tmp_path / "voc")
    read = globox.AnnotationSet.from_pascal_voc(tmp_path / "voc" / "Annotations")
    expected = _boxes(images)
    assert len(read) == len(expected)
    for annotation in read:
        got = sorted(
            (b.label, (b.xmin - 1, b.ymin - 1, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1))
            for b in annotation.boxes
            if b.label != "road surface"
        )
        assert got == expected[Path(annotation.image_id).stem]
    listed = (tmp_path / "voc" / "ImageSets" / "Main" / "train.txt").read_text().split()
    assert sorted(listed) == sorted(expected)
