"""What the console tests share: one real ``rowport serve`` (a subprocess on 127.0.0.1) on a
home with a gated project, a project whose export has errors, and names, filters and row data
holding markup; and one headless Chromium (Debian's, through Playwright) for the session.

The gate is a test plugin (an entry point in a tiny dist-info on the server's PYTHONPATH): an
export whose task name starts with ``gated`` holds batch N in ``rowport_transform_rows`` until
the file ``release-N`` exists in the gate folder (after writing ``entered-N``), so a test moves
an export forward one batch at a time without sleeping. An export named ``flagged...`` gets a
problem per row from ``rowport_validate_rows`` (``TEST_EVEN`` or ``TEST_ODD``).
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
import time
from pathlib import Path
from typing import Any

import attrs
import requests

from rowport.testing import RowportServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MARKUP = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"
WAIT_LIMIT = 120.0  # a safety net only: the gate's files say when

GATE_PLUGIN = """
import os, time
from pathlib import Path
from rowport import hookimpl
from rowport.plugins import Problem

_batches = {}

@hookimpl
def rowport_transform_rows(rows, context):
    name = context.request.task_name or ""
    gate = os.environ.get("ROWPORT_TEST_GATE")
    if not gate or not name.startswith("gated"):
        return None
    n = _batches.get(context.task_id, 0)
    _batches[context.task_id] = n + 1
    (Path(gate) / f"entered-{n}").touch()
    deadline = time.monotonic() + 300
    while not (Path(gate) / f"release-{n}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return None

@hookimpl
def rowport_validate_rows(rows, context):
    if not (context.request.task_name or "").startswith("flagged"):
        return None
    return [
        Problem(
            index=i,
            code="TEST_EVEN" if i % 2 == 0 else "TEST_ODD",
            message="flagged by the test <b>x</b>",
        )
        for i in range(len(rows))
    ]
"""


def gate_plugin(root: Path) -> Path:
    info = root / "console_gate-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: console-gate\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rowport]\nconsole_gate = console_gate\n")
    (root / "console_gate.py").write_text(textwrap.dedent(GATE_PLUGIN))
    return root


@attrs.frozen
class Served:
    """The server, its gate folder, the ids the home was built with and two keys."""

    server: RowportServer
    gate: Path
    ids: dict[str, Any]
    token: str  # a key of the home's own organization
    other_token: str  # a key of the organization "other"

    @property
    def url(self) -> str:
        return self.server.url

    def wait_entered(self, batch: int) -> None:
        path = self.gate / f"entered-{batch}"
        deadline = time.monotonic() + WAIT_LIMIT
        while not path.exists():
            assert time.monotonic() < deadline, f"batch {batch} never reached the gate"
            time.sleep(0.01)

    def release(self, batch: int) -> None:
        (self.gate / f"release-{batch}").touch()

    def signed_in(self, token: str | None = None) -> requests.Session:
        """A ``requests`` session signed in to the console (its cookie)."""
        http = requests.Session()
        answer = http.post(f"{self.url}/console/signin", data={"token": token or self.token})
        assert answer.status_code == 200, answer.text
        return http

    def csrf(self, http: requests.Session, path: str = "/console/tasks") -> str:
        page = http.get(self.url + path).text
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        assert match, page
        return match.group(1)

    def api(self, token: str | None = None) -> requests.Session:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token or self.token}"
        return http


def save_shot(page: Any, shots: Path, name: str, *, docs: bool = False) -> Path:
    """A full-page screenshot ``name``.png in ``shots`` (and in
    ``$ROWPORT_CONSOLE_SCREENSHOTS`` for the docs' ones)."""
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    target = os.environ.get("ROWPORT_CONSOLE_SCREENSHOTS")
    if docs and target:
        shutil.copyfile(path, Path(target) / f"console-{name}.png")  # docs/images
    return path


def sign_in(page: Any, served: Served, token: str | None = None) -> None:
    """Sign in to the console in ``page`` with ``token`` (the home's key by default)."""
    page.goto(f"{served.url}/console/signin")
    page.fill("#token", token or served.token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.url}/console/tasks")


def outside_requests(urls: list[str], served: Served) -> list[str]:
    """The URLs of ``urls`` that went anywhere but the server."""
    return [u for u in urls if not u.startswith(served.url + "/") and not u.startswith("data:")]
