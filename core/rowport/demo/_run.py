"""``rowport demo``: build the demo catalog in a fresh home, export it, show what came out."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import click
import orjson

from rowport._progress import wait_with_progress
from rowport.client import Client
from rowport.demo._build import MEDIA_TYPES, WORKFLOW_STATUSES, DemoCatalog, build_demo
from rowport.demo._next import print_next_steps
from rowport.demo._validation import export_validation_fixtures, print_validation
from rowport.tasks import READABLE_STATUSES, FileConverter, StreamType

if TYPE_CHECKING:
    from rowport.tasks import ExportTask

__all__ = ["CATALOG_PARAMS", "PROJECT_PARAMS", "RUN_PARAMS", "ExportSummary", "run_demo"]

Echo = Callable[[str], object]

PROJECT_PARAMS: dict[str, bool] = {
    "attachments": True,
    "metadata_fields": True,
    "embeddings": True,
    "data_row_details": True,
    "project_details": True,
    "label_details": True,
    "performance_details": True,
    "interpolated_frames": True,
}
CATALOG_PARAMS: dict[str, bool] = {
    **PROJECT_PARAMS,
    "all_projects": True,
    "all_model_runs": True,
    "predictions": True,
    "model_run_details": True,
}
RUN_PARAMS: dict[str, bool] = {
    "attachments": True,
    "metadata_fields": True,
    "embeddings": True,
    "data_row_details": True,
    "predictions": True,
    "model_run_details": True,
}
PREVIEW_LINES = 15


@attrs.frozen(kw_only=True)
class ExportSummary:
    """How one demo export ended and where its RESULT stream was copied."""

    name: str
    status: str
    result_lines: int
    result_bytes: int
    error_lines: int
    seconds: float
    path: Path


def run_demo(
    home: Path,
    *,
    echo: Echo = click.echo,
    show_progress: bool | None = None,
    bulk_rows: int = 2000,
) -> DemoCatalog:
    """Build the demo in a fresh ``home`` (deleted first if it exists), export it, report.

    Exports every demo project with all project params, the bulk dataset and the slice with
    every catalog param, and the model run with predictions and splits; each RESULT is written
    to ``home/exports/<name>.ndjson``. Then exports the validation fixtures and sums up their
    ERRORS, and ends with commands to try next. ``show_progress`` None draws bars on a
    terminal only.
    """
    home = Path(home)
    if home.exists():
        shutil.rmtree(home)
    started = time.monotonic()
    with Client(home) as client:
        echo(f"Building the demo catalog in {home} ...")
        demo = build_demo(client, home / "media", bulk_rows=bulk_rows)
        echo(f"Built in {time.monotonic() - started:.1f} s.\n")
        _print_catalog(demo, echo)
        summaries = [
            _run_export(task, name, home / "exports", echo=echo, show=show_progress)
            for name, task in _start_exports(client, demo)
        ]
        validation = export_validation_fixtures(client, demo)
    _print_table(summaries, echo)
    print_validation(validation, echo)
    echo(f"\nDone in {time.monotonic() - started:.1f} s; exports are in {home / 'exports'}.")
    print_next_steps(home, demo, validation, echo)
    return demo


def _start_exports(client: Client, demo: DemoCatalog) -> Iterator[tuple[str, ExportTask]]:
    """Yield ``(name, task)`` one at a time, so each export runs alone with its own bar."""
    for media_type in MEDIA_TYPES:
        project = client.get_project(demo.project_ids[media_type])
        name = f"project-{media_type}"
        yield name, project.export(task_name=name, params=PROJECT_PARAMS)
    dataset_key = "bulk_images" if "bulk_images" in demo.dataset_ids else "image"
    dataset = client.get_dataset(demo.dataset_ids[dataset_key])
    name = f"dataset-{dataset_key.replace('_', '-')}"
    yield name, dataset.export(task_name=name, params=CATALOG_PARAMS)
    run = client.get_model_run(demo.model_run_id)
    yield "model-run", run.export(task_name="model-run", params=RUN_PARAMS)
    labelled = client.get_slice(demo.slice_id)
    yield "slice", labelled.export(task_name="slice", params=CATALOG_PARAMS)


def _run_export(
    task: ExportTask, name: str, directory: Path, *, echo: Echo, show: bool | None
) -> ExportSummary:
    started = time.monotonic()
    status = wait_with_progress(task, label=f"{name:<24}", show=show)
    seconds = time.monotonic() - started
    path = directory / f"{name}.ndjson"
    lines = size = errors = 0
    echo(f"\n== {name}  [{status}]  task {task.uid}  ({seconds:.2f} s)")
    if status in READABLE_STATUSES:
        lines = task.get_total_lines(StreamType.RESULT) or 0
        size = task.get_total_file_size(StreamType.RESULT) or 0
        errors = task.get_total_lines(StreamType.ERRORS) or 0
        if lines:
            task.get_stream(FileConverter(path), StreamType.RESULT).start()
        else:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
        echo(f"   RESULT {lines:,} lines, {size:,} bytes -> {path}")
        echo(f"   ERRORS {errors:,} lines")
        first = next(iter(task.get_buffered_stream()), None) if lines else None
        if first is not None:
            echo("   first row:")
            echo(_preview(first.json))
    else:
        echo(f"   failed: {task.errors_message}")
    return ExportSummary(
        name=name,
        status=status,
        result_lines=lines,
        result_bytes=size,
        error_lines=errors,
        seconds=seconds,
        path=path,
    )


def _preview(row: Mapping[str, Any], limit: int = PREVIEW_LINES) -> str:
    """The row as indented JSON, cut after ``limit`` lines."""
    text = orjson.dumps(row, option=orjson.OPT_INDENT_2).decode().splitlines()
    shown = [("   " + line)[:110] for line in text[:limit]]
    if len(text) > limit:
        shown.append(f"   ... ({len(text) - limit:,} more lines)")
    return "\n".join(shown)


def _print_catalog(demo: DemoCatalog, echo: Echo) -> None:
    echo("The catalog holds:")
    header = f"  {'media type':<15}{'rows':>6}{'labels':>8}" + "".join(
        f"{s:>11}" for s in WORKFLOW_STATUSES
    )
    echo(header)
    for media_type in MEDIA_TYPES:
        rows = demo.row_counts.get(media_type, 0)
        if media_type == "image":
            rows += demo.bulk_rows
        flow = demo.workflow_counts[media_type]
        echo(
            f"  {media_type:<15}{rows:>6}{demo.label_counts[media_type]:>8}"
            + "".join(f"{flow[s]:>11}" for s in WORKFLOW_STATUSES)
        )
    reviews = ", ".join(f"{n} {a}" for a, n in sorted(demo.review_counts.items()))
    echo(
        f"  datasets {len(demo.dataset_ids)}, projects {len(demo.project_ids)}"
        f" (+{len(demo.broken_project_ids)} of validation fixtures),"
        f" ontologies {len(demo.ontology_ids)}, metadata fields {len(demo.metadata_schema_ids)},"
        f" embeddings 1, reviews: {reviews}"
    )
    echo(
        f"  model run: {demo.model_run_rows} rows, {demo.prediction_count} predictions,"
        f" splits training/validation/test; slice 1; bulk image rows {demo.bulk_rows:,}"
    )
    echo(f"  deliberately broken rows: {len(demo.broken)} ({', '.join(demo.broken)})")


def _print_table(summaries: list[ExportSummary], echo: Echo) -> None:
    echo("\nSummary:")
    echo(f"  {'export':<24}{'status':<10}{'rows':>8}{'bytes':>12}{'errors':>8}{'seconds':>9}")
    for s in summaries:
        echo(
            f"  {s.name:<24}{s.status:<10}{s.result_lines:>8,}{s.result_bytes:>12,}"
            f"{s.error_lines:>8,}{s.seconds:>9.2f}"
        )
