"""``rowport export KIND``: each kind writes RESULT and ERRORS; bad requests start nothing."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from clitools import LABELLED, ROWS, Run, Sample, lines, read_lines

from rowport import Client


def _ids(path: Path) -> list[str]:
    return [orjson.loads(line)["data_row"]["id"] for line in read_lines(path)]


def _task_count(home: Path) -> int:
    with Client(home) as client:
        return len(client.get_tasks())


@pytest.mark.parametrize(
    ("kind", "scope", "expected"),
    [
        ("project", "project_id", ROWS),
        ("dataset", "dataset_id", ROWS),
        ("slice", "slice_id", LABELLED),
        ("model-run", "model_run_id", 10),
    ],
)
def test_export_of_each_kind_writes_result_and_errors_files(
    sample: Sample, run: Run, tmp_path: Path, kind: str, scope: str, expected: int
) -> None:
    out, errors = tmp_path / "out" / "rows.ndjson", tmp_path / "errors.ndjson"
    result = run("export", kind, getattr(sample, scope), "-o", out, "--errors-file", errors)
    assert result.exit_code == 0, result.stderr
    assert len(_ids(out)) == expected
    assert errors.read_text() == ""
    assert result.stdout == ""
    assert f"COMPLETE: {expected} rows" in result.stderr


def test_catalog_export_takes_no_id_and_writes_to_stdout(sample: Sample, run: Run) -> None:
    result = run("export", "catalog", "--filter", "global_keys=img-1,img-2")
    assert result.exit_code == 0, result.stderr
    rows = [orjson.loads(line) for line in lines(result.stdout)]
    assert sorted(row["data_row"]["global_key"] for row in rows) == ["img-1", "img-2"]


def test_data_rows_export_by_id(sample: Sample, run: Run, tmp_path: Path) -> None:
    out = tmp_path / "rows.ndjson"
    result = run("export", "data-rows", *sample.row_ids[:3], "-o", out)
    assert result.exit_code == 0, result.stderr
    assert _ids(out) == list(sample.row_ids[:3])


def test_data_rows_export_by_global_key_reports_unknown_keys_as_errors(
    sample: Sample, run: Run, tmp_path: Path
) -> None:
    out, errors = tmp_path / "rows.ndjson", tmp_path / "errors.ndjson"
    result = run(
        "export", "data-rows", "--global-keys", "img-0", "nope", "-o", out,
        "--errors-file", errors,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _ids(out) == [sample.row_ids[0]]
    (error,) = [orjson.loads(line) for line in read_lines(errors)]
    assert "nope" in orjson.dumps(error).decode()
    assert "1 error in" in result.stderr


def test_errors_without_an_errors_file_are_counted_with_a_hint(sample: Sample, run: Run) -> None:
    result = run("export", "data-rows", "--global-keys", "img-0", "nope", "-o", "/dev/null")
    assert result.exit_code == 0
    assert "1 error line: save with --errors-file" in result.stderr
    assert "--errors`" in result.stderr


def test_params_and_filters_shape_the_export(sample: Sample, run: Run) -> None:
    result = run(
        "export", "project", sample.project_id,
        "--param", "label_details", "--param", "data_row_details=false",
        "--filter", "workflow_status=InReview",
        "--filter", "last_activity_at=2000-01-01 00:00:00,",
        "--filter", f"batch_ids={sample.batch_id}",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = [orjson.loads(line) for line in lines(result.stdout)]
    assert [row["data_row"]["id"] for row in rows] == list(sample.row_ids[:2])
    labels = rows[0]["projects"][sample.project_id]["labels"]
    assert "label_details" in labels[0]


def test_a_date_range_that_ends_before_every_row_selects_nothing(sample: Sample, run: Run) -> None:
    result = run("export", "project", sample.project_id, "--filter", "last_activity_at=,2001-01-01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "COMPLETE: 0 rows" in result.stderr


def test_the_task_takes_its_name_from_name(sample: Sample, run: Run) -> None:
    run("export", "dataset", sample.dataset_id, "--name", "nightly", "-o", "/dev/null")
    with Client(sample.home) as client:
        assert [task.name for task in client.get_tasks()] == ["nightly"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "labl_details"], "did you mean 'label_details'"),
        (["--param", "predictions"], "'predictions' is not supported for a project export"),
        (["--param", "label_details=perhaps"], "is on or off"),
        (["--filter", "workflow_status=Finished"], "must be one of ToLabel"),
        (["--filter", "last_activity_at=yesterday,"], "invalid date 'yesterday'"),
        (["--filter", "last_activity_at=2024-02-01,2024-01-01"], "starts after it ends"),
        (["--filter", "global_keys=a", "--filter", "data_row_ids=b"], "cannot be used together"),
        (["--filter", "batch_ids=,"], "must hold 1 to 2,000 values"),
        (["--filter", "colour=red"], "unknown filter 'colour'"),
    ],
)
def test_an_invalid_request_exits_2_with_its_message_and_starts_no_task(
    sample: Sample, run: Run, args: list[str], message: str
) -> None:
    result = run("export", "project", sample.project_id, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Usage: rowport export project" in result.stderr
    assert _task_count(sample.home) == 0


def test_filters_on_a_kind_without_filters_are_refused(sample: Sample, run: Run) -> None:
    result = run("export", "data-rows", "x", "--filter", "global_keys=a")
    assert result.exit_code == 2
    assert "a data rows export takes no filters" in result.stderr
    assert _task_count(sample.home) == 0


def test_a_usage_error_opens_no_catalog(home: Path, run: Run) -> None:
    result = run("export", "project", "p", "--param", "nope")
    assert result.exit_code == 2
    assert not home.exists()


def test_no_wait_prints_only_the_task_id(sample: Sample, run: Run) -> None:
    result = run("export", "project", sample.project_id, "--no-wait")
    assert result.exit_code == 0
    (task_id,) = lines(result.stdout)
    with Client(sample.home) as client:
        assert client.get_task(task_id).status == "COMPLETE"


def test_no_wait_with_an_output_file_is_a_usage_error(sample: Sample, run: Run) -> None:
    result = run("export", "project", sample.project_id, "--no-wait", "-o", "x.ndjson")
    assert result.exit_code == 2
    assert _task_count(sample.home) == 0


def test_an_unknown_scope_id_is_a_clean_error(sample: Sample, run: Run) -> None:
    result = run("export", "project", "cm-no-such-project")
    assert result.exit_code == 1
    assert result.stderr == "Error: project not found: 'cm-no-such-project'\n"
    assert _task_count(sample.home) == 0


def test_ctrl_c_while_waiting_cancels_the_task_and_exits_130(
    sample: Sample, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clitools import READY_TIMEOUT, Gate, add_step

    from rowport.cli import _context, _waiting

    gate = Gate()

    def gated_client(home: Path, **kwargs: object) -> Client:
        client = Client(home, **kwargs)  # type: ignore[arg-type]
        add_step(client, gate)
        return client

    def interrupted(task: object, **kwargs: object) -> str:
        assert gate.entered.wait(READY_TIMEOUT)
        raise KeyboardInterrupt

    monkeypatch.setattr(_context, "Client", gated_client)
    monkeypatch.setattr(_waiting, "wait_with_progress", interrupted)
    never = sample.home.parent / "never.ndjson"
    result = run("export", "project", sample.project_id, "-o", never)
    assert result.exit_code == 130
    assert "canceling task" in result.stderr
    assert not never.exists()
    with Client(sample.home) as client:
        assert [task.status for task in client.get_tasks()] == ["CANCELED"]
