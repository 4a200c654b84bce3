"""Fixtures for plugin-system tests: a real catalog with rows of two media types."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rowport
from rowport.plugins import PluginHost, load


@pytest.fixture
def make_host() -> Any:
    """A PluginHost with exactly the given plugin objects (no built-ins, no entry points)."""

    def make(*plugins: object, builtins: bool = False) -> PluginHost:
        loaded = load(builtins=builtins, autoload=False, block=())
        for i, plugin in enumerate(plugins):
            name = type(plugin).__name__
            if name == "SimpleNamespace":
                name = f"plugin{i}"
            loaded.pm.register(plugin, name=name)
        loaded.pm.check_pending()
        return PluginHost(loaded)

    return make


@pytest.fixture
def catalog_home(tmp_path: Path) -> dict[str, Any]:
    """A home with an image project (6 rows, one labelled) and a text project (2 rows)."""
    client = rowport.Client(
        tmp_path / "home", plugins=PluginHost.load(builtins=False, autoload=False)
    )
    ds = client.create_dataset("mixed")
    images = ds.create_data_rows(
        [
            {
                "row_data": f"https://example.com/{i}.jpg",
                "global_key": f"img-{i}",
                "media_attributes": {"width": 100, "height": 50},
            }
            for i in range(6)
        ]
    )
    texts = ds.create_data_rows(
        [
            {"row_data": "hello world", "global_key": f"txt-{i}", "media_type": "text"}
            for i in range(2)
        ]
    )
    onto = client.create_ontology("o", tools=[{"tool": "bbox", "name": "box"}])
    image_project = client.create_project("images", "image", onto)
    image_project.create_batch("b", data_rows=images)
    image_project.import_labels(
        [
            {
                "data_row_id": images[0].uid,
                "annotations": {
                    "objects": [
                        {
                            "name": "box",
                            "annotation_kind": "ImageBoundingBox",
                            "bounding_box": {"top": 1, "left": 2, "height": 3, "width": 4},
                        }
                    ]
                },
            }
        ]
    )
    text_project = client.create_project("texts", "text", onto)
    text_project.create_batch("b", data_rows=texts)
    client.close()
    return {
        "home": tmp_path / "home",
        "image_project": image_project.uid,
        "text_project": text_project.uid,
        "dataset": ds.uid,
    }


@pytest.fixture
def client_with(catalog_home: dict[str, Any]) -> Iterator[Any]:
    """Open the fixture home with a given PluginHost."""
    opened: list[rowport.Client] = []

    def open_(host: PluginHost) -> rowport.Client:
        client = rowport.Client(catalog_home["home"], plugins=host)
        opened.append(client)
        return client

    yield open_
    for client in opened:
        client.close()


@pytest.fixture
def fake_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Write a tiny ``*.dist-info`` with an entry point and a module, on sys.path."""

    def make(dist: str, ep_name: str, module: str, source: str) -> Path:
        root = tmp_path / f"site-{dist}"
        info = root / f"{dist}-1.2.3.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[rowport]\n{ep_name} = {module}\n", encoding="utf-8"
        )
        (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        monkeypatch.syspath_prepend(str(root))
        monkeypatch.delitem(sys.modules, module, raising=False)
        return root

    return make


@pytest.fixture
def ctx(tmp_path: Path) -> Any:
    """An ExportContext over an empty catalog, for calling hooks directly."""
    from rowport.catalog import Catalog
    from rowport.plugins import ExportContext
    from rowport.request import build_request

    catalog = Catalog(tmp_path / "ctx.db")
    yield ExportContext(task_id="t", request=build_request("catalog"), catalog=catalog)
    catalog.close()
