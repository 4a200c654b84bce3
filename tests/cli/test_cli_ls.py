"""``rowport ls``: the catalog's datasets, projects, model runs, slices and tasks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
from clitools import LABELLED, ROWS, Run, Sample, lines

from rowport import Client


def test_ls_datasets_shows_ids_names_and_row_counts_aligned(sample: Sample, run: Run) -> None:
    done = run("ls", "datasets")
    assert done.exit_code == 0, done.output
    header, row = lines(done.output)
    assert header.split() == ["ID", "NAME", "ROWS", "CREATED"]
    assert row.startswith(f"{sample.dataset_id}  street scenes")
    assert row.split()[3] == str(ROWS)
    # the ROWS column is right-aligned under its header
    start = header.index("ROWS")
    assert row[start : start + len("ROWS")] == str(ROWS).rjust(len("ROWS"))


def test_ls_projects_counts_rows_and_labels(sample: Sample, run: Run) -> None:
    done = run("ls", "projects", "--json")
    assert done.exit_code == 0, done.output
    (project,) = orjson.loads(done.output)
    assert project["id"] == sample.project_id
    assert (project["name"], project["media_type"]) == ("street project", "image")
    assert (project["rows"], project["labels"]) == (ROWS, LABELLED)


def test_ls_model_runs_names_the_model_and_counts_rows(sample: Sample, run: Run) -> None:
    (record,) = orjson.loads(run("ls", "model-runs", "--json").output)
    assert (record["id"], record["name"], record["model"], record["rows"]) == (
        sample.model_run_id,
        "run 1",
        "detector",
        10,
    )
    table = lines(run("ls", "model-runs").output)
    assert table[0].split() == ["ID", "NAME", "MODEL", "ROWS", "CREATED"]
    assert table[1].startswith(f"{sample.model_run_id}  run 1  detector")


def test_ls_slices_shows_their_filters(sample: Sample, run: Run) -> None:
    table = lines(run("ls", "slices").output)
    assert table[1].startswith(f"{sample.slice_id}  labelled  has_labels=true")


def test_ls_slices_counts_the_rows_each_matches(sample: Sample, run: Run) -> None:
    table = lines(run("ls", "slices").output)
    assert table[0].split() == ["ID", "NAME", "FILTERS", "ROWS", "CREATED"]
    assert table[1].split()[3] == str(LABELLED)
    (record,) = orjson.loads(run("ls", "slices", "--json").output)
    assert record["rows"] == LABELLED


def test_ls_tasks_shows_status_and_rows_newest_first(sample: Sample, run: Run) -> None:
    with Client(sample.home) as client:
        first = client.get_dataset(sample.dataset_id).export(task_name="first")
        first.wait_till_done()
        second = client.get_project(sample.project_id).export(task_name="second")
        second.wait_till_done()
    table = lines(run("ls", "tasks").output)
    assert [line.split()[:4] for line in table[1:]] == [
        [second.uid, "second", "COMPLETE", f"{ROWS}/{ROWS}"],
        [first.uid, "first", "COMPLETE", f"{ROWS}/{ROWS}"],
    ]
    assert run("ls", "tasks", "--ids").output == f"{second.uid}\n{first.uid}\n"


def test_ls_without_kind_gives_an_overview_of_everything(sample: Sample, run: Run) -> None:
    done = run("ls")
    assert done.exit_code == 0, done.output
    out = lines(done.output)
    assert out[0].endswith(": 1 dataset, 1 project, 1 model run, 1 slice, 0 tasks")
    assert out.index("DATASETS (1)") < out.index("PROJECTS (1)") < out.index("SLICES (1)")
    assert "TASKS (0)" not in out
    for uid in (sample.dataset_id, sample.project_id, sample.model_run_id, sample.slice_id):
        assert any(line.strip().startswith(uid) for line in out), uid
    everything = orjson.loads(run("ls", "--json").output)
    assert list(everything) == ["datasets", "projects", "model-runs", "slices", "tasks"]
    assert [p["id"] for p in everything["projects"]] == [sample.project_id]


def test_the_overview_cuts_long_lists_and_says_how_to_see_all(home: Path, run: Run) -> None:
    with Client(home) as client:
        for i in range(7):
            client.create_dataset(f"set {i}")
    out = lines(run("ls").output)
    assert sum(line.strip().startswith("cm") for line in out) == 5
    assert "  ... 2 more: rowport ls datasets" in out


def test_ls_ids_prints_only_ids_for_scripts(sample: Sample, run: Run) -> None:
    assert run("ls", "projects", "--ids").output == f"{sample.project_id}\n"


def test_ls_ids_without_a_kind_is_a_usage_error(sample: Sample, run: Run) -> None:
    done = run("ls", "--ids")
    assert done.exit_code == 2
    assert "--ids needs a KIND" in done.output


def test_ls_an_unknown_kind_lists_the_kinds(sample: Sample, run: Run) -> None:
    done = run("ls", "labels")
    assert done.exit_code == 2
    assert "'datasets', 'projects', 'model-runs', 'slices', 'tasks'" in done.output


def test_ls_an_empty_kind_says_so_on_stderr(sample: Sample, run: Run) -> None:
    done = run("ls", "tasks")
    assert (done.exit_code, done.stdout) == (0, "")
    assert "no tasks in" in done.stderr


def test_ls_on_a_home_without_catalog_fails_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "typo"
    env = {k: v for k, v in os.environ.items() if k != "ROWPORT_HOME"}
    done = subprocess.run(
        [sys.executable, "-m", "rowport.cli", "--home", str(home), "ls"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"Error: no rowport catalog in {home}")
    assert not home.exists()


def test_ls_in_a_real_process_points_at_the_demo_catalog(sample: Sample, tmp_path: Path) -> None:
    demo = tmp_path / ".rowport-demo"
    sample.home.rename(demo)
    env = {k: v for k, v in os.environ.items() if k != "ROWPORT_HOME"}
    command = [sys.executable, "-m", "rowport.cli"]
    lost = subprocess.run(
        [*command, "ls"], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
    )
    assert lost.returncode == 1
    assert "rowport --home .rowport-demo ls" in lost.stderr
    found = subprocess.run(
        [*command, "--home", ".rowport-demo", "ls", "projects"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stderr
    assert lines(found.stdout)[1].startswith(f"{sample.project_id}  street project  image")
