"""The progress line: it fits the terminal, and its rate is the export's, not the waiter's;
and the messages of ``tasks show`` and of a task whose runner died."""

from __future__ import annotations

import subprocess
import sys

import pytest
from clitools import Gate, Run, Sample, add_step

from rowport import Client
from rowport._progress import RateMeter, progress_bar, render_progress, wait_with_progress

LABEL = "export dataset cmx57lq6w0000b99hf33cgjwl"


@pytest.mark.parametrize("width", [20, 40, 80, 120])
@pytest.mark.parametrize("planned", [None, 0, 200_000])
def test_the_line_never_reaches_the_last_column(width: int, planned: int | None) -> None:
    for done in (0, 12_600, 200_000):
        line = render_progress(label=LABEL, done=done, planned=planned, rate=8664.0, width=width)
        assert len(line) <= width - 1


def test_an_80_column_line_keeps_the_numbers_and_shortens_the_label() -> None:
    line = render_progress(label=LABEL, done=12_600, planned=200_000, rate=8664.0, width=80)
    assert line.endswith("6%  12,600/200,000 rows  8,664 rows/s  ETA 00:22")
    assert line.startswith("export dat...") and "[#" in line
    wide = render_progress(label=LABEL, done=12_600, planned=200_000, rate=8664.0, width=160)
    assert wide.startswith(LABEL + "  [")


def test_a_waiter_that_attaches_late_shows_the_export_s_rate() -> None:
    # the export started at t=100 and had done 50,000 rows by t=105.77 when the waiter came;
    # those rows over the waiter's own 0.8 s would say 62,500 rows/s: it runs at 8,664
    meter = RateMeter(created=100.0)
    meter.add(105.77, 50_000)
    assert meter.rate() == pytest.approx(50_000 / 5.77)  # the task's own average until then
    meter.add(106.02, 50_000 + 2_166)
    assert meter.rate() == pytest.approx(52_166 / 6.02)  # a quarter second is too short
    meter.add(107.77, 50_000 + 17_328)
    assert meter.rate() == pytest.approx(8_664)


def test_a_meter_without_samples_has_no_rate() -> None:
    assert RateMeter(created=None).rate() is None


@pytest.mark.parametrize("columns", [40, 80])
def test_the_drawn_progress_fits_the_terminal(
    sample: Sample,
    gate: Gate,
    columns: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    with Client(sample.home) as client:
        add_step(client, gate)
        task = client.get_dataset(sample.dataset_id).export(task_name=LABEL * 3)
        assert gate.entered.wait(30)
        gate.release.set()
        assert wait_with_progress(task, show=True, poll=0.01) == "COMPLETE"
    drawn = capsys.readouterr().err
    assert drawn.endswith("\n") and drawn.count("\n") == 1
    frames = [frame for frame in drawn.rstrip("\n").split("\r") if frame]
    assert frames and all(len(frame) <= columns - 1 for frame in frames)
    assert "100%  30/30 rows" in frames[-1]


def test_show_on_a_failed_task_says_its_errors_can_be_read(
    sample: Sample, run: Run, owner: Client
) -> None:
    from clitools import Boom

    add_step(owner, Boom())
    task = owner.get_dataset(sample.dataset_id).export()
    task.wait_till_done()
    assert task.status == "FAILED"
    shown = run("tasks", "show", task.uid)
    assert "not readable until the task ends" not in shown.stdout
    assert "result      not readable: the task failed" in shown.stdout
    assert (
        f"errors      1 line (read them with `rowport tasks stream {task.uid} --errors`)"
        in shown.stdout
    )


def test_a_runner_that_died_before_planning_is_described_plainly(sample: Sample, run: Run) -> None:
    script = (
        "import os, sys\n"
        "from rowport import Client\n"
        "client = Client(sys.argv[1])\n"
        "store = getattr(client.catalog, 'tasks', client.catalog)  # composed stores, or not\n"
        "record = store.create_task('doomed', {'request': {}, 'legacy': False})\n"
        "print(getattr(record, 'id', None) or record['id'])\n"
        "sys.stdout.flush()\n"
        "os._exit(0)  # the runner's process dies without ending its task\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(sample.home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    task_id = done.stdout.strip()
    shown = run("tasks", "show", task_id)
    assert "None" not in shown.stdout
    assert "FAILED" in shown.stdout
    assert "it had not yet planned its rows (none had been exported)" in shown.stdout


@pytest.mark.parametrize("columns", [40, 80])
def test_the_import_bar_fits_the_terminal(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    with progress_bar(
        10_000_000, label="importing a-rather-long-file-name.ndjson", show=True
    ) as up:
        for step in range(1, 11):
            up(step * 1_000_000, step * 5_000)
    frames = [f for f in capsys.readouterr().err.rstrip("\n").split("\r") if f]
    assert frames and all(len(frame) <= columns - 1 for frame in frames)
    assert "100%  50,000 rows" in frames[-1]
