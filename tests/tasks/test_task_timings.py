"""Per-batch timings: the runner writes one line per batch (rows, RESULT bytes, seconds per
stage) and one per run's plan into the task's ``timings.ndjson``; a resumed task appends a run
of its own, and the throughput plot puts the runs one after the other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from batch_gate import Gate
from tasks_support import ROWS

import rowport
from rowport.server.console._views import throughput
from rowport.tasks._timings import STAGES, TIMINGS_FILE, read_timings


def _timings(client: rowport.Client, task_id: str) -> list[dict[str, Any]]:
    return read_timings(client._tasks.task_dir(task_id))


def test_every_batch_is_timed_with_its_rows_bytes_and_stages(
    client: rowport.Client, home: dict[str, Any]
) -> None:
    task = client.get_project(home["project"]).export()
    task.wait_till_done()
    assert task.status == "COMPLETE"
    plan, *batches = _timings(client, task.uid)
    assert plan["kind"] == "plan" and plan["seconds"] >= 0
    sizes = [min(100, ROWS - start) for start in range(0, ROWS, 100)]  # batches of 100
    assert [line["kind"] for line in batches] == ["batch"] * len(sizes)
    assert [line["batch"] for line in batches] == list(range(len(batches)))
    assert [line["rows"] for line in batches] == sizes
    total = task.get_total_file_size(rowport.StreamType.RESULT)
    assert sum(line["bytes"] for line in batches) == total
    ends = [line["at"] for line in batches]
    assert ends == sorted(ends) and ends[0] > 0
    for line in batches:
        stages = [line[stage] for stage in STAGES[1:]]
        assert min(stages) >= 0
        assert abs(sum(stages) - line["seconds"]) < 1e-5


def test_a_resumed_task_appends_a_run_and_the_plot_joins_them(
    client: rowport.Client, home: dict[str, Any], gate: Gate
) -> None:
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    gate.let_through(2)
    gate.wait_entered(2)  # batches 1 and 2 reached the gate, 2 waits there
    task.cancel()
    gate.open_all()
    task.wait_till_done()
    assert task.status == "CANCELED"
    first = _timings(client, task.uid)
    assert [line["kind"] for line in first] == ["plan", "batch", "batch", "batch"]
    task.resume()
    task.wait_till_done()
    assert task.status == "COMPLETE"
    lines = _timings(client, task.uid)
    assert lines[: len(first)] == first
    rest = lines[len(first) :]
    assert rest[0]["kind"] == "plan"
    assert [line["batch"] for line in rest[1:]] == list(range(len(rest) - 1))
    assert sum(line["rows"] for line in lines if line["kind"] == "batch") == ROWS
    plot = throughput(lines)
    assert len(plot["t"]) == len(plot["rate"]) == len(plot["mb"]) > 0
    assert plot["t"][-1] >= first[-1]["at"] + rest[-1]["at"]  # the second run after the first
    width = plot["t"][0]
    assert round(sum(plot["rate"]) * width) == ROWS


def test_a_torn_last_line_is_left_out(tmp_path: Path) -> None:
    (tmp_path / TIMINGS_FILE).write_bytes(b'{"kind":"plan","at":0.0,"seconds":0.1}\n{"kind":"ba')
    assert read_timings(tmp_path) == [{"kind": "plan", "at": 0.0, "seconds": 0.1}]
    assert read_timings(tmp_path / "missing") == []
