"""Fixtures of the sink tests: a finished export in a real home and an HTTP receiver on
127.0.0.1 (see ``sink_support.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from sink_support import CollectPlugin, Exported, Receiver, finish

import rowport
from rowport.testing import build_catalog, make_client, serve_http


@pytest.fixture
def collect() -> CollectPlugin:
    return CollectPlugin()


@pytest.fixture
def client(tmp_path: Path, collect: CollectPlugin) -> Iterator[rowport.Client]:
    c = make_client(tmp_path, plugins=[collect])
    yield c
    c.close()


@pytest.fixture
def exported(client: rowport.Client, collect: CollectPlugin) -> Exported:
    """An image project of 7 rows (6 labelled), exported with label details."""
    catalog = build_catalog(client, rows=7)
    task = finish(client.get_project(catalog["project"]).export(params={"label_details": True}))
    return Exported(client=client, collect=collect, catalog=catalog, task=task)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.requests += 1
                n = state.requests
                status = state.always or (state.fail_status if n <= state.fail_first else 200)
                if status == 200:
                    state.headers.append(dict(self.headers))
                    key = self.headers["Idempotency-Key"]
                    if key in state.bodies:
                        state.duplicates += 1
                    else:
                        state.bodies[key] = body
            payload = b"bad request: no thanks" if status == 400 else b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_http(Handler) as server:
        state.url = f"http://127.0.0.1:{server.server_port}/rows"
        yield state
