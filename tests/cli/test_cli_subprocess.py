"""The installed ``rowport`` command, run as a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from clitools import READY_TIMEOUT, ROWS, Gate, Sample, add_step

from rowport import Client, StreamType

SCRIPT = Path(sys.executable).with_name("rowport")


def _rowport(*args: str | Path, module: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rowport.cli"] if module else [str(SCRIPT)]
    env = {k: v for k, v in os.environ.items() if k != "ROWPORT_HOME"}
    return subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, timeout=120, env=env
    )


def test_python_m_rowport_cli_exports_a_project(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "rows.ndjson"
    done = _rowport(
        "--home", sample.home, "export", "project", sample.project_id, "--param", "label_details",
        "-o", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert f"COMPLETE: {ROWS} rows" in done.stderr
    rows = [orjson.loads(line) for line in out.read_text().splitlines()]
    assert [row["data_row"]["id"] for row in rows] == list(sample.row_ids)


@pytest.mark.skipif(not SCRIPT.exists(), reason="no rowport script beside the interpreter")
def test_the_console_script_round_trips_export_and_import(sample: Sample, tmp_path: Path) -> None:
    exported = _rowport(
        "--home", sample.home, "export", "dataset", sample.dataset_id, "--no-wait", module=False
    )
    assert exported.returncode == 0, exported.stderr
    task_id = exported.stdout.strip()
    rows = _rowport("--home", sample.home, "tasks", "stream", task_id, module=False)
    assert rows.returncode == 0, rows.stderr
    path = tmp_path / "rows.ndjson"
    path.write_text(rows.stdout)
    loaded = _rowport("--home", tmp_path / "copy", "import", path, module=False)
    assert (loaded.returncode, loaded.stdout.strip()) == (
        0,
        f"{ROWS} lines: {ROWS} rows loaded, 0 already present, 0 failed",
    )


def test_a_missing_entity_is_one_line_without_a_traceback(sample: Sample) -> None:
    done = _rowport("--home", sample.home, "export", "slice", "no-such-slice")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "Error: slice not found: 'no-such-slice'\n"


def test_a_closed_pipe_ends_tasks_stream_quietly(tmp_path: Path) -> None:
    home = tmp_path / "big"
    with Client(home) as client:
        dataset = client.create_dataset("big")
        dataset.create_data_rows([f"https://example.com/{i}.jpg" for i in range(3000)])
        task = dataset.export()
        task.wait_till_done()
    # more than a pipe buffer (64 KiB), so the writer sees the reader go away
    assert (task.get_total_file_size(StreamType.RESULT) or 0) > 1 << 17
    shell = f"{sys.executable} -m rowport.cli --home {home} tasks stream {task.uid} | head -n 1"
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120)
    assert done.stdout.count("\n") == 1
    assert done.stderr == ""


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    demo = pytest.importorskip("rowport.demo")
    if not hasattr(demo, "run_demo"):
        pytest.skip("rowport.demo has no run_demo yet")
    done = _rowport("demo", "--home-dir", tmp_path / "demo", "--bulk-rows", "10")
    assert done.returncode == 0, done.stderr
    assert "COMPLETE" in done.stdout


# ``rowport`` as the console script runs it, but announcing on stdout the moment the command
# starts waiting (inside its Ctrl-C handling): the readiness signal, where a clock would race
# the child's imports on a loaded machine.
ANNOUNCING_ROWPORT = """
import sys
from rowport.cli import _waiting, main
original = _waiting.wait_with_progress
def announced(*args, **kwargs):
    print("waiting", flush=True)
    return original(*args, **kwargs)
_waiting.wait_with_progress = announced
main(sys.argv[1:], prog_name="rowport")
"""


def test_ctrl_c_stops_tasks_wait_with_exit_130(sample: Sample, owner: Client, gate: Gate) -> None:
    add_step(owner, gate)
    task = owner.get_dataset(sample.dataset_id).export()
    assert gate.entered.wait(READY_TIMEOUT)
    command = ["--home", str(sample.home), "tasks", "wait", task.uid]
    waiter = subprocess.Popen(
        [sys.executable, "-c", ANNOUNCING_ROWPORT, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a child of a background job may inherit SIGINT ignored; give it the default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert waiter.stdout is not None
        ready = waiter.stdout.readline()  # blocks until the command waits (or it exited)
        assert ready == "waiting\n", waiter.communicate(timeout=READY_TIMEOUT)[1]
        waiter.send_signal(signal.SIGINT)
        _, err = waiter.communicate(timeout=READY_TIMEOUT)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()
    assert waiter.returncode == 130, err
    assert f"stopped waiting; task {task.uid} is IN_PROGRESS" in err
    assert task.status == "IN_PROGRESS"
