"""docs/plugins.md documents every hook in hookspecs.py."""

from __future__ import annotations

import inspect
from pathlib import Path

from rowport import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def _hooks() -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("rowport_")
    ]


def test_there_are_hooks_to_document():
    assert len(_hooks()) >= 10


def test_every_hook_has_a_heading_in_the_plugin_docs():
    text = DOCS.read_text(encoding="utf-8")
    missing = [name for name in _hooks() if f"### `{name}(" not in text]
    assert missing == []


def test_every_hook_has_a_docstring_with_its_params():
    for name in _hooks():
        fn = getattr(hookspecs, name)
        doc = inspect.getdoc(fn) or ""
        assert doc, name
        for param in inspect.signature(fn).parameters:
            assert f":param {param}:" in doc, (name, param)
