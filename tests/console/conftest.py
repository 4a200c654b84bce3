"""Fixtures of the console tests (see console_support.py): one real ``rowport serve`` for the
session, and one headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_support import CHROMIUM, CHROMIUM_ARGS, MARKUP, WAIT_LIMIT, Served, gate_plugin

from rowport.client import Client
from rowport.testing import build_catalog, start_server


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("console")
    home, gate = root / "home", root / "gate"
    gate.mkdir()
    with Client(home) as client:
        ids = build_catalog(client, rows=250)
        flagged = build_catalog(client, rows=30)
        ids["flagged_project"] = flagged["project"]
        marked = client.create_dataset(f"dataset {MARKUP}")
        marked.create_data_rows(
            [{"row_data": f"https://example.com/{MARKUP}.jpg", "global_key": f"key {MARKUP}"}]
        )
        ids["marked_dataset"] = marked.uid
        client.create_project(f"project {MARKUP}", "image")
        done = client.get_project(ids["project"]).export(task_name="finished export")
        done.wait_till_done()
        ids["finished_task"] = done.uid
        marked_task = marked.export(
            task_name=f"task {MARKUP}", filters={"global_keys": [f"key {MARKUP}"]}
        )
        marked_task.wait_till_done()
        ids["marked_task"] = marked_task.uid
    site = gate_plugin(root / "site")
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    server = start_server(home, env={"ROWPORT_TEST_GATE": str(gate), "PYTHONPATH": path})
    try:
        token = server.create_key("console")
        other = server.create_key("other", organization="other")
        with server.client(token) as remote:  # the server's plugins flag its rows
            errors = remote.get_project(ids["flagged_project"]).export(task_name="flagged export")
            errors.wait_till_done(WAIT_LIMIT)
            ids["flagged_task"] = errors.uid
        yield Served(server=server, gate=gate, ids=ids, token=token, other_token=other)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's build; Playwright drives it)."""
    if not CHROMIUM.exists():
        pytest.skip("needs: chromium (the Debian package, for the console's browser tests)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("needs: playwright (pip install playwright; the dev extra has it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests' screenshots go (a temporary folder; ``ROWPORT_CONSOLE_SCREENSHOTS``
    names a folder that also gets the two committed in docs/media)."""
    return tmp_path_factory.mktemp("screenshots")
