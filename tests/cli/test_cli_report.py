"""``rowport report TASK [-o FILE]``: one self-contained HTML file of a task."""

from __future__ import annotations

import re
from pathlib import Path

from clitools import Run, Sample

from rowport import Client


def test_report_writes_one_self_contained_file(
    run: Run, sample: Sample, owner: Client, tmp_path: Path
) -> None:
    task = owner.get_project(sample.project_id).export(task_name="reported")
    task.wait_till_done()
    output = tmp_path / "out" / "report.html"
    result = run("report", task.uid, "-o", output)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"report of task {task.uid}: {output}"
    html = output.read_text()
    assert "<h1>reported</h1>" in html and task.uid in html
    # styles, the plot library and the data are inline: no URL to fetch
    assert not re.search(r"<(?:script|link)[^>]+(?:src|href)=", html)
    assert "uPlot" in html and 'id="plot-data"' in html
    for stage in ("plan", "read", "plugins", "encode", "write"):
        assert f'<th scope="row">{stage}</th>' in html


def test_report_of_an_unknown_task_is_an_error(run: Run, sample: Sample, tmp_path: Path) -> None:
    result = run("report", "cnosuchtask00000000000000", "-o", tmp_path / "r.html")
    assert result.exit_code == 1
    assert "task not found: 'cnosuchtask00000000000000'" in result.output
    assert not (tmp_path / "r.html").exists()
