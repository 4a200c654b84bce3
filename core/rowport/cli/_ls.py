"""``rowport ls [KIND]``: what the catalog holds, with ids, names and counts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import click
import orjson

from rowport.catalog._db import database_url
from rowport.cli._context import CliState, pass_state
from rowport.cli._output import format_ts, open_stdout, plural
from rowport.client import Client

__all__ = ["KINDS", "Column", "ls", "records_of", "render_table"]

OVERVIEW_ITEMS = 5
_NAME_WIDTH = 40
_SINGULAR = {
    "datasets": "dataset",
    "projects": "project",
    "model-runs": "model run",
    "slices": "slice",
    "tasks": "task",
}


@attrs.frozen(kw_only=True)
class Column:
    """A table column: its header, the record key it shows and whether it is a number."""

    header: str
    key: str
    number: bool = False


def _datasets(client: Client) -> list[dict[str, Any]]:
    counts = client.backend.call("catalog.rows.dataset_row_counts")
    return [
        {"id": d.uid, "name": d.name, "rows": counts.get(d.uid, 0), "created_at": d.created_at}
        for d in client.get_datasets()
    ]


def _projects(client: Client) -> list[dict[str, Any]]:
    counts = client.backend.call("catalog.projects.project_counts")
    none = {"rows": 0, "labels": 0}
    return [
        {
            "id": p.uid,
            "name": p.name,
            "media_type": p.media_type,
            "rows": counts.get(p.uid, none)["rows"],
            "labels": counts.get(p.uid, none)["labels"],
            "ontology_id": p.ontology_id,
            "created_at": p.created_at,
        }
        for p in client.get_projects()
    ]


def _model_runs(client: Client) -> list[dict[str, Any]]:
    counts = client.backend.call("catalog.models.model_run_row_counts")
    return [
        {
            "id": run.uid,
            "name": run.name,
            "model_id": model.uid,
            "model": model.name,
            "rows": counts.get(run.uid, 0),
            "created_at": run.created_at,
        }
        for model in client.get_models()
        for run in model.model_runs()
    ]


def _slices(client: Client) -> list[dict[str, Any]]:
    def count(filters: dict[str, Any]) -> int:
        return int(client.backend.call("catalog.models.count_slice_rows", filters=filters))

    return [
        {
            "id": s.uid,
            "name": s.name,
            "filters": s.filters,
            "rows": count(s.filters),
            "created_at": s.created_at,
        }
        for s in client.get_slices()
    ]


def _tasks(client: Client) -> list[dict[str, Any]]:
    return [
        {
            "id": t.uid,
            "name": t.name,
            "status": t.status,
            "rows_done": t.rows_done,
            "rows_planned": t.rows_planned,
            "created_at": t.created_at,
        }
        for t in client.get_tasks()
    ]


def _columns(*middle: Column) -> tuple[Column, ...]:
    """A kind's table: ID and NAME first, then ``middle``, then CREATED."""
    return (
        Column(header="ID", key="id"),
        Column(header="NAME", key="name"),
        *middle,
        Column(header="CREATED", key="created_at"),
    )


_ROWS = Column(header="ROWS", key="rows", number=True)

# kind -> (how its records are read, the columns of its table)
KINDS: dict[str, tuple[Callable[[Client], list[dict[str, Any]]], tuple[Column, ...]]] = {
    "datasets": (_datasets, _columns(_ROWS)),
    "projects": (
        _projects,
        _columns(
            Column(header="MEDIA", key="media_type"),
            _ROWS,
            Column(header="LABELS", key="labels", number=True),
        ),
    ),
    "model-runs": (_model_runs, _columns(Column(header="MODEL", key="model"), _ROWS)),
    "slices": (_slices, _columns(Column(header="FILTERS", key="filters"), _ROWS)),
    "tasks": (_tasks, _columns(Column(header="STATUS", key="status"), _ROWS)),
}


def records_of(client: Client, kind: str) -> list[dict[str, Any]]:
    """The JSON-ready records of one kind (``datasets``, ``projects``, ...), oldest first
    (tasks: newest first, as ``rowport tasks list``)."""
    read, _ = KINDS[kind]
    return read(client)


def _cell(record: dict[str, Any], column: Column) -> str:
    if column.key == "rows" and "rows_done" in record:
        planned = record["rows_planned"]
        return f"{record['rows_done'] or 0:,}/{'?' if planned is None else f'{planned:,}'}"
    value = record.get(column.key)
    if column.number:
        return f"{value or 0:,}"
    if column.key == "created_at":
        return format_ts(str(value))
    if column.key == "filters":
        text = ", ".join(f"{k}={_short(v)}" for k, v in (value or {}).items()) or "-"
    else:
        text = "-" if value is None else str(value)
    if column.key == "id":
        return text
    return text if len(text) <= _NAME_WIDTH else text[: _NAME_WIDTH - 1] + "…"


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value[:3])) + (",…" if len(value) > 3 else "")
    return str(value).lower() if isinstance(value, bool) else str(value)


def render_table(records: Sequence[dict[str, Any]], columns: Sequence[Column]) -> list[str]:
    """The records as aligned lines, headers first; numbers right-aligned."""
    cells = [[column.header for column in columns]]
    cells += [[_cell(record, column) for column in columns] for record in records]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for row in cells:
        parts = [
            text.rjust(width) if column.number else text.ljust(width)
            for text, width, column in zip(row, widths, columns, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return lines


@click.command("ls")
@click.argument("kind", required=False, type=click.Choice(list(KINDS)))
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.option("--ids", "ids_only", is_flag=True, help="Only the ids, one per line (needs KIND).")
@pass_state
def ls(state: CliState, kind: str | None, as_json: bool, ids_only: bool) -> None:
    """List datasets, projects, model runs, slices or tasks with their ids and counts.

    Without KIND, a short overview of each. Use an id with ``rowport export KIND ID``.
    """
    if ids_only and kind is None:
        raise click.UsageError("--ids needs a KIND, e.g. `rowport ls projects --ids`")
    if ids_only and as_json:
        raise click.UsageError("--ids and --json cannot be combined")
    # (a PostgreSQL catalog, ROWPORT_DATABASE_URL, has no file to look for)
    if not state.url and database_url() is None and not (state.home / "catalog.db").exists():
        raise click.ClickException(_no_catalog_message(state))
    client = state.client
    if kind is None:
        everything = {name: records_of(client, name) for name in KINDS}
        _emit([_json(everything)] if as_json else _overview(state, everything))
        return
    records = records_of(client, kind)
    if as_json:
        _emit([_json(records)])
    elif ids_only:
        _emit([record["id"] for record in records])
    elif records:
        _emit(render_table(records, KINDS[kind][1]))
    else:
        click.echo(f"no {kind.replace('-', ' ')} in {state.where}", err=True)


def _json(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()


def _emit(lines: list[str]) -> None:
    """Write ``lines`` in one write, so ``rowport ls projects --ids | head -n 1`` sees them
    all before it goes away; a reader that leaves early ends the command quietly (141)."""
    with open_stdout() as sink:
        sink.write("".join(line + "\n" for line in lines).encode("utf-8"))


def _overview(state: CliState, everything: dict[str, list[dict[str, Any]]]) -> list[str]:
    counts = [plural(len(records), _SINGULAR[name]) for name, records in everything.items()]
    where = f"rowport server {state.url}" if state.url else f"rowport home {state.home}"
    lines = [f"{where}: " + ", ".join(counts)]
    for name, records in everything.items():
        if not records:
            continue
        lines.append(f"\n{name.upper().replace('-', ' ')} ({len(records)})")
        shown = records[:OVERVIEW_ITEMS]
        lines += [f"  {line}" for line in render_table(shown, KINDS[name][1])]
        if len(records) > len(shown):
            lines.append(f"  ... {len(records) - len(shown)} more: rowport ls {name}")
    if not any(everything.values()):
        lines.append(
            "\nThe catalog is empty: `rowport import FILE` loads rows in the export format."
        )
    return lines


def _no_catalog_message(state: CliState) -> str:
    message = f"no rowport catalog in {state.home} (no catalog.db there)"
    demo = Path(".rowport-demo")
    if (demo / "catalog.db").exists() and demo.resolve() != state.home.resolve():
        return message + "; the demo's is in .rowport-demo: rowport --home .rowport-demo ls"
    return message + "; pass --home DIR or set ROWPORT_HOME, or run `rowport demo`"
