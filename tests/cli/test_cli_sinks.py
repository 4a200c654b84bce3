"""Sinks on the command line: a failed sink exits 3 and is named with its real cause; sink
options are kept with the task (secrets excepted) and reused by ``tasks deliver``."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from clitools import ROWS, Run, Sample, lines

from rowport import Client
from rowport.testing import serve_http


@attrs.define
class Receiver:
    """A loopback webhook receiver answering ``status`` to every POST."""

    url: str = ""
    status: int = 200
    rows: list[bytes] = attrs.field(factory=list)
    headers: list[dict[str, str]] = attrs.field(factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if state.status == 200:
                state.rows.extend(body.splitlines())
                state.headers.append(dict(self.headers))
            payload = b"ok" if state.status == 200 else b"the receiver is down"
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_http(Handler) as server:
        state.url = f"http://127.0.0.1:{server.server_port}/hook"
        yield state


def _webhook(url: str, *extra: str) -> list[str]:
    return [
        "--sink", "webhook", "--sink-option", f"url={url}", "--sink-option", "backoff=0",
        "--sink-option", "max_attempts=1", "--sink-option", "retries=0", *extra,
    ]  # fmt: skip


def _only_task(home: Path) -> str:
    with Client(home) as client:
        (task,) = client.get_tasks()
        return task.uid


SECRET_HEADERS = '{"Authorization": "Bearer s3cret"}'


def _export_withholding_a_secret(sample: Sample, run: Run, receiver: Receiver) -> str:
    """Export to the webhook with an Authorization header (a secret the task does not keep)."""
    first = run(
        "export", "dataset", sample.dataset_id, "-o", "/dev/null",
        *_webhook(receiver.url, "--sink-option", f"headers={SECRET_HEADERS}"),
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    return _only_task(sample.home)


@pytest.mark.parametrize(
    ("status", "reason"), [(500, "Internal Server Error"), (400, "Bad Request")]
)
def test_a_failed_webhook_exits_3_and_is_named_with_its_cause(
    sample: Sample, run: Run, receiver: Receiver, tmp_path: Path, status: int, reason: str
) -> None:
    receiver.status = status
    out = tmp_path / "rows.ndjson"
    result = run("export", "dataset", sample.dataset_id, "-o", out, *_webhook(receiver.url))
    assert result.exit_code == 3, result.stderr
    task_id = _only_task(sample.home)
    summary = next(line for line in lines(result.stderr) if line.startswith("COMPLETE:"))
    assert summary.endswith(f"task {task_id}; sink 'webhook' failed")
    assert f"HTTP {status} {reason} from {receiver.url}: the receiver is down" in result.stderr
    assert "ConnectionError" not in result.stderr
    assert f"rowport tasks deliver {task_id} --sink webhook" in result.stderr
    assert len(lines(out.read_text())) == ROWS  # the rows themselves are safe


def test_an_unwritable_sink_path_is_refused_before_any_task(
    sample: Sample, run: Run, tmp_path: Path
) -> None:
    blocker = tmp_path / "plain.txt"
    blocker.write_text("not a folder")
    result = run(
        "export", "dataset", sample.dataset_id,
        "--sink", "ndjson_file", "--sink-option", f"path={blocker / 'rows.ndjson'}",
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"sink 'ndjson_file' (plugin 'rowport_plugins.sinks') cannot start: {blocker}" in (
        result.stderr
    )
    assert "is not a directory" in result.stderr
    with Client(sample.home) as client:
        assert client.get_tasks() == []


def test_sink_options_are_stored_without_secrets(
    sample: Sample, run: Run, receiver: Receiver
) -> None:
    secret = '{"Authorization": "Bearer s3cret", "X-Trace": "abc"}'
    result = run(
        "export", "dataset", sample.dataset_id, "-o", "/dev/null",
        *_webhook(receiver.url, "--sink-option", f"headers={secret}"),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert receiver.headers[0]["Authorization"] == "Bearer s3cret"  # the export used them
    task_id = _only_task(sample.home)
    shown = run("tasks", "show", task_id, "--json")
    assert "s3cret" not in shown.stdout and "abc" not in shown.stdout
    (sink,) = orjson.loads(shown.stdout)["metadata"]["request"]["options"]["sinks"]
    assert sink == {
        "name": "webhook",
        "options": {"url": receiver.url, "backoff": 0, "max_attempts": 1, "retries": 0},
        "withheld": ["headers.Authorization", "headers.X-Trace"],
    }


def test_tasks_deliver_reuses_the_stored_options(
    sample: Sample, run: Run, receiver: Receiver
) -> None:
    receiver.status = 500
    first = run("export", "dataset", sample.dataset_id, "-o", "/dev/null", *_webhook(receiver.url))
    assert first.exit_code == 3
    receiver.status = 200
    task_id = _only_task(sample.home)
    again = run("tasks", "deliver", task_id, "--sink", "webhook")
    assert again.exit_code == 0, again.stderr
    assert len(receiver.rows) == ROWS
    assert f"delivered {ROWS} rows of task {task_id} to sink 'webhook'" in again.stderr


def test_tasks_deliver_names_the_secrets_it_needs_and_takes_them(
    sample: Sample, run: Run, receiver: Receiver
) -> None:
    task_id = _export_withholding_a_secret(sample, run, receiver)
    missing = run("tasks", "deliver", task_id, "--sink", "webhook")
    assert missing.exit_code == 1
    assert missing.stderr == (
        f"Error: sink 'webhook' of task {task_id} had options that are not stored with the"
        " task (secrets): headers.Authorization; give them with --sink-option\n"
    )
    given = run(
        "tasks", "deliver", task_id, "--sink", "webhook",
        "--sink-option", f"headers={SECRET_HEADERS}",
    )  # fmt: skip
    assert given.exit_code == 0, given.stderr
    assert receiver.headers[-1]["Authorization"] == "Bearer s3cret"
    assert len(receiver.rows) == 2 * ROWS


def test_tasks_deliver_exits_3_when_the_sink_fails(
    sample: Sample, run: Run, receiver: Receiver
) -> None:
    first = run("export", "dataset", sample.dataset_id, "-o", "/dev/null", *_webhook(receiver.url))
    assert first.exit_code == 0, first.stderr
    receiver.status = 500
    again = run("tasks", "deliver", _only_task(sample.home), "--sink", "webhook")
    assert again.exit_code == 3
    assert f"HTTP 500 Internal Server Error from {receiver.url}" in again.stderr


def _read_until(fd: int, text: bytes) -> bytes:
    seen = b""
    while text not in seen:
        ready, _, _ = select.select([fd], [], [], 120)
        assert ready, f"no {text!r} in {seen!r}"
        chunk = os.read(fd, 1024)
        assert chunk, f"the terminal closed before {text!r}: {seen!r}"
        seen += chunk
    return seen


def test_tasks_deliver_asks_for_a_withheld_secret_on_a_terminal(
    sample: Sample, run: Run, receiver: Receiver
) -> None:
    task_id = _export_withholding_a_secret(sample, run, receiver)
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "ROWPORT_HOME"}
    child = subprocess.Popen(
        [sys.executable, "-m", "rowport.cli", "--home", str(sample.home),
         "tasks", "deliver", task_id, "--sink", "webhook"],
        stdin=terminal, stdout=subprocess.PIPE, stderr=terminal, env=env,
    )  # fmt: skip
    os.close(terminal)
    try:
        _read_until(controller, b"webhook option headers.Authorization:")
        os.write(controller, b"Bearer s3cret\n")
        said = _read_until(controller, b"delivered")
    finally:
        child.wait(timeout=120)
        os.close(controller)
    assert child.returncode == 0
    assert b"s3cret" not in said  # hidden input: not echoed
    assert receiver.headers[-1]["Authorization"] == "Bearer s3cret"


def test_tasks_wait_exits_3_for_a_task_whose_sink_failed(
    sample: Sample, run: Run, receiver: Receiver
) -> None:
    receiver.status = 500
    options = {"url": receiver.url, "max_attempts": 1, "retries": 0, "backoff": 0}
    with Client(sample.home) as client:
        task = client.get_dataset(sample.dataset_id).export(sinks=[("webhook", options)])
        task.wait_till_done()
    waited = run("tasks", "wait", task.uid)
    assert waited.exit_code == 3
    assert f"task {task.uid}; sink 'webhook' failed" in waited.stderr
    assert f"HTTP 500 Internal Server Error from {receiver.url}" in waited.stderr
