"""A third-party format package, pip-installed for real into a target directory, shows up in
``rowport plugins`` and works with ``--format`` in a separate process."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rowport import Client
from rowport.testing import install_package

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "rowport-format-example"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example installed with pip into a directory (put on ``PYTHONPATH``)."""
    return install_package(EXAMPLE, tmp_path_factory.mktemp("format-example"))


def _rowport(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROWPORT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "core"), str(ROOT / "plugins")])
    return subprocess.run(
        [sys.executable, "-m", "rowport", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_the_example_format_is_listed_and_written_by_export(
    installed: Path, tmp_path: Path
) -> None:
    listed = _rowport(installed, "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in map(json.loads, listed.stdout.splitlines())}
    example = plugins["format_example"]
    assert example["source"] == "rowport-format-example" and example["formats"] == ["box_csv"]
    assert "rowport_register_formats" in example["hooks"]

    home = tmp_path / "home"
    with Client(home) as client:
        dataset = client.create_dataset("shots")
        (row,) = dataset.create_data_rows(
            [{"row_data": "https://img.example/a.jpg", "media_type": "image"}]
        )
        ontology = client.create_ontology(
            "o", [{"tool": "bbox", "name": "car"}], [], media_type="image"
        )
        project = client.create_project("p", "image", ontology)
        project.create_batch("b", data_rows=[row.uid])
        box = {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0}
        project.import_labels(
            [
                {
                    "data_row_id": row.uid,
                    "annotations": {
                        "objects": [
                            {
                                "name": "car",
                                "annotation_kind": "ImageBoundingBox",
                                "bounding_box": box,
                            }
                        ],
                        "classifications": [],
                        "relationships": [],
                    },
                }
            ]
        )
    done = _rowport(
        installed,
        "--home",
        str(home),
        "export",
        "project",
        project.uid,
        "--format",
        "box_csv",
        "--format-option",
        "prefix=x-",
        "-o",
        str(tmp_path / "out"),
    )
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "out" / "boxes.csv") as f:
        assert list(csv.reader(f))[1] == [row.uid, "x-car", "2.0", "1.0", "4.0", "3.0"]
    assert "box_csv: 1 of 1 rows written" in done.stderr
    bad = _rowport(
        installed,
        "--home",
        str(home),
        "export",
        "project",
        project.uid,
        "--format",
        "box_csvv",
        "-o",
        str(tmp_path / "o2"),
    )
    assert bad.returncode == 2 and "registered formats: box_csv, chat, coco" in bad.stderr
