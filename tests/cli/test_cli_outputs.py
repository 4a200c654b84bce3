"""Output files of ``export`` and ``tasks stream``: checked before a task starts, written under a
temporary name and renamed, never left truncated; stdout gets each row once."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from clitools import ROWS, Run, Sample, lines

from rowport import Client
from rowport.cli import _output


def _task_ids(home: Path) -> list[str]:
    with Client(home) as client:
        return [task.uid for task in client.get_tasks()]


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".partial"))


@pytest.mark.parametrize("option", ["-o", "--errors-file"])
def test_an_output_path_that_is_a_directory_is_refused_before_any_task(
    sample: Sample, run: Run, tmp_path: Path, option: str
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = run("export", "dataset", sample.dataset_id, option, folder)
    assert result.exit_code == 2
    assert "is a directory" in result.stderr and str(folder) in result.stderr
    assert _task_ids(sample.home) == []


@pytest.mark.parametrize("existing", [False, True])
def test_one_file_for_rows_and_errors_is_refused_before_any_task(
    sample: Sample, run: Run, tmp_path: Path, existing: bool
) -> None:
    target = tmp_path / "out.ndjson"
    if existing:
        target.write_text("kept\n")
    alias = tmp_path / "." / "out.ndjson"
    result = run("export", "dataset", sample.dataset_id, "-o", target, "--errors-file", alias)
    assert result.exit_code == 2
    assert "-o and --errors-file name the same file" in result.stderr
    assert _task_ids(sample.home) == []
    assert (target.read_text() if existing else target.exists()) == (
        "kept\n" if existing else False
    )


def test_dev_null_may_take_both_rows_and_errors(sample: Sample, run: Run) -> None:
    done = run(
        "export", "dataset", sample.dataset_id, "-o", "/dev/null", "--errors-file", "/dev/null"
    )
    assert done.exit_code == 0, done.stderr


def test_an_output_path_under_a_file_is_refused_before_any_task(
    sample: Sample, run: Run, tmp_path: Path
) -> None:
    blocker = tmp_path / "plain.txt"
    blocker.write_text("not a folder")
    target = blocker / "rows.ndjson"
    result = run("export", "project", sample.project_id, "-o", target)
    assert result.exit_code == 2
    assert result.stderr == f"Error: cannot write -o {target}: {blocker} is not a directory\n"
    assert "Traceback" not in result.stderr
    assert _task_ids(sample.home) == []


def test_an_output_folder_that_cannot_be_created_is_refused(sample: Sample, run: Run) -> None:
    target = Path("/proc/rowport-no-such-folder/rows.ndjson")
    result = run("export", "dataset", sample.dataset_id, "--errors-file", target)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot write --errors-file {target}: cannot create")
    assert len(lines(result.stderr)) == 1
    assert _task_ids(sample.home) == []


def test_tasks_stream_checks_its_output_path_first(
    sample: Sample, run: Run, tmp_path: Path
) -> None:
    with Client(sample.home) as client:
        task = client.get_dataset(sample.dataset_id).export()
        task.wait_till_done()
    blocker = tmp_path / "plain.txt"
    blocker.write_text("not a folder")
    result = run("tasks", "stream", task.uid, "-o", blocker / "rows.ndjson")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: cannot write -o {blocker / 'rows.ndjson'}: {blocker} is not a directory\n"
    )


def test_outputs_are_renamed_into_place_and_parents_created(
    sample: Sample, run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "new" / "deeper" / "rows.ndjson"
    out_errors = tmp_path / "errors.ndjson"
    out_errors.write_text("old errors\n")
    os.chmod(out_errors, 0o640)
    result = run("export", "dataset", sample.dataset_id, "-o", out, "--errors-file", out_errors)
    assert result.exit_code == 0, result.stderr
    assert len(lines(out.read_text())) == ROWS
    assert out_errors.read_text() == ""
    assert out_errors.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its mode
    assert _leftovers(out.parent) == [] and _leftovers(tmp_path) == []


def _breaking_after(count: int, error: BaseException) -> Any:
    original = _output.RawLines.convert

    def convert(self: Any, stream_lines: Any, **kwargs: Any) -> Iterator[bytes]:
        for number, line in enumerate(original(self, stream_lines, **kwargs)):
            if number == count:
                raise error
            yield line

    return convert


@pytest.mark.parametrize(
    ("error", "code", "says"),
    [
        (KeyboardInterrupt(), 130, "interrupted while writing -o"),
        (OSError(errno.ENOSPC, "No space left on device"), 1, "could not write -o"),
    ],
)
def test_a_write_that_breaks_leaves_the_old_file_and_says_how_to_read_the_rows(
    sample: Sample,
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    code: int,
    says: str,
) -> None:
    out = tmp_path / "rows.ndjson"
    out.write_text("yesterday's rows\n")
    monkeypatch.setattr(_output.RawLines, "convert", _breaking_after(10, error))
    result = run("export", "dataset", sample.dataset_id, "-o", out)
    assert result.exit_code == code
    assert out.read_text() == "yesterday's rows\n"  # never a truncated file
    assert _leftovers(tmp_path) == []
    (task_id,) = _task_ids(sample.home)
    assert says in result.stderr
    assert f"nothing was left at {out}" in result.stderr
    assert f"task {task_id} is COMPLETE" in result.stderr
    assert f"`rowport tasks stream {task_id} -o {out}`" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_export_that_does_not_complete_leaves_no_output_file(
    sample: Sample, run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "rows.ndjson"
    result = run("export", "slice", "no-such-slice", "-o", out)
    assert result.exit_code == 1
    assert not out.exists() and _leftovers(tmp_path) == []


def test_a_stdout_sink_without_o_prints_each_row_once(sample: Sample, run: Run) -> None:
    result = run("export", "dataset", sample.dataset_id, "--sink", "stdout")
    assert result.exit_code == 0, result.stderr
    ids = [orjson.loads(line)["data_row"]["id"] for line in lines(result.stdout)]
    assert ids == list(sample.row_ids)


def test_a_stdout_sink_with_o_prints_the_rows_and_writes_the_file(
    sample: Sample, run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "rows.ndjson"
    result = run("export", "dataset", sample.dataset_id, "--sink", "stdout", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert lines(result.stdout) == lines(out.read_text())
    assert len(lines(out.read_text())) == ROWS
