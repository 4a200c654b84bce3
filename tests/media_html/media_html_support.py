"""Helpers for the HTML plugin tests: real catalogs, real exports, and a real HTTP server on
127.0.0.1 that counts the requests it answers."""

from __future__ import annotations

import functools
import http.server
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import rowport
from rowport import StreamType

PLUGIN = "rowport_plugins.html"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Returns — policy</title></head>
<body><h1>Returns</h1><p>Return anything within 30 days, café receipts too.</p></body>
</html>
"""

CLASSIFICATIONS: list[dict[str, Any]] = [
    {
        "type": "radio",
        "name": "page kind",
        "options": [
            {"name": "policy", "classifications": [{"type": "text", "name": "policy area"}]},
            {"name": "blog"},
        ],
    },
    {"type": "checklist", "name": "quality", "options": [{"name": "clear"}, {"name": "complete"}]},
    {"type": "text", "name": "summary"},
]

GOOD_ANNOTATIONS: dict[str, Any] = {
    "objects": [],
    "classifications": [
        {
            "name": "page kind",
            "radio_answer": {
                "name": "policy",
                "classifications": [{"name": "policy area", "text_answer": {"content": "returns"}}],
            },
        },
        {"name": "quality", "checklist_answers": [{"name": "clear"}, {"name": "complete"}]},
        {"name": "summary", "text_answer": {"content": "30-day returns"}},
    ],
    "relationships": [],
}


class Server:
    """A threaded ``http.server`` serving ``root``; ``hits[path]`` counts GET requests."""

    def __init__(self, root: Path) -> None:
        self.hits: Counter[str] = Counter()
        hits = self.hits

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                hits[self.path] += 1
                super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        handler = functools.partial(Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/{name}"


@contextmanager
def serving(root: Path) -> Iterator[Server]:
    server = Server(root)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=5)


def make_project(
    client: rowport.Client, specs: Sequence[Mapping[str, Any]], *, labelled: bool = True
) -> tuple[Any, list[Any]]:
    """A dataset of html ``specs`` queued in a new project, each row labelled (good labels)."""
    dataset = client.create_dataset("html rows")
    rows = dataset.create_data_rows([{"media_type": "html", **spec} for spec in specs])
    ontology = client.create_ontology(
        "html ontology", tools=[], classifications=list(CLASSIFICATIONS)
    )
    project = client.create_project("html project", "html", ontology)
    project.create_batch("batch", data_rows=rows)
    if labelled:
        project.import_labels(
            [{"data_row_id": row.uid, "annotations": GOOD_ANNOTATIONS} for row in rows]
        )
    return project, rows


def run_export(project: Any, **options: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Export ``project``; return (RESULT rows, ERRORS lines)."""
    task = project.export(**options)
    task.wait_till_done(timeout_seconds=60)
    assert task.status == "COMPLETE", task.status
    rows = [o.json for o in task.get_buffered_stream()] if task.has_result() else []
    errors = (
        [o.json for o in task.get_buffered_stream(StreamType.ERRORS)] if task.has_errors() else []
    )
    return rows, errors


def by_key(rows: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {row["data_row"]["global_key"]: row for row in rows}


def html_attributes(size: int) -> dict[str, Any]:
    return {"asset_type": "html", "mime_type": "text/html", "size": size}
