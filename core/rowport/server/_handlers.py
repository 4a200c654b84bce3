"""What the operations that are not a catalog store call do, on the caller's embedded client.

Each handler takes the embedded :class:`~rowport.Client` of the caller's organization and the
operation's arguments (checked against its declared parameters), and returns JSON. A catalog
operation needs no handler: it calls its store method (see :func:`call_operation`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rowport.api import Operation
from rowport.api._records import report_to_json, task_to_json
from rowport.client import Client
from rowport.errors import InvalidExportRequest, InvalidInput
from rowport.formats import SERVED_DIR, check_served_name, convert_task, served_reports
from rowport.request import ExportKind
from rowport.server._context import check_id
from rowport.server._streams import StreamError, contained
from rowport.tasks import ExportTask, TaskManager

__all__ = ["HANDLERS", "call_operation", "import_lines"]


def _task(task: ExportTask) -> dict[str, Any]:
    return task_to_json(task._record)


def _kind(value: Any) -> ExportKind:
    try:
        return ExportKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in ExportKind)
        raise InvalidExportRequest(f"unknown export kind {value!r}; allowed: {allowed}") from None


def _start_export(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    kind = _kind(args.pop("kind"))
    scope_ids = args.pop("scope_ids", None) or ()
    if isinstance(scope_ids, (str, bytes)) or not isinstance(scope_ids, Iterable):
        raise InvalidExportRequest(f"scope_ids must be a list of ids, got {scope_ids!r}")
    # formats over the API are written inside the task's folder, never at a requested path
    served = args.pop("formats", None)
    return _task(client._export(kind, list(scope_ids), served_formats=served, **args))


def _start_probe(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    kind = _kind(args.pop("kind"))
    return _task(client._probe_media(kind, list(args.pop("scope_ids", None) or ()), **args))


def _get_task(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    task = client.get_task(args["task_id"])
    task.refresh()
    return {**_task(task), "formats": _served(task)}


def _manager(task: ExportTask) -> TaskManager[Any]:
    manager = task.backend
    if not isinstance(manager, TaskManager):
        raise TypeError(f"the server converts embedded tasks, not {manager!r}")
    return manager


def _served(task: ExportTask) -> list[dict[str, Any]]:
    return served_reports(_manager(task).task_dir(task.uid))


def _own_task(client: Client, task_id: Any) -> ExportTask:
    return client.get_task(check_id(str(task_id), "task"))


def _convert(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    """Convert into ``formats/NAME.zip`` of the task's folder (the request names no path)."""
    task = _own_task(client, args["task_id"])
    name = check_served_name(client.plugins, args["format"])
    manager = _manager(task)
    folder = manager.task_dir(task.uid)
    try:
        output = contained(folder, folder / SERVED_DIR / f"{name}.zip")
    except StreamError:
        raise InvalidInput(f"format {name!r}: its name cannot name a file") from None
    options = args.get("options")
    strict = args.get("strict", False)
    if not isinstance(strict, bool):
        raise InvalidInput(f"strict must be true or false, got {strict!r}")
    convert_task(manager, task.uid, name, output, options, strict=strict, overwrite=True)
    (report,) = [r for r in served_reports(folder) if r["format"] == name]
    return report


def _report(client: Client, args: dict[str, Any]) -> str:
    from rowport.server.console import report_html  # Jinja2 only when a report is asked

    return report_html(client, _own_task(client, args["task_id"]))


HANDLERS: Mapping[str, Callable[[Client, dict[str, Any]], Any]] = {
    "exports.start": _start_export,
    "probes.start": _start_probe,
    "tasks.list": lambda client, args: [_task(t) for t in client.get_tasks()],
    "tasks.get": _get_task,
    "tasks.cancel": lambda client, args: {"accepted": client.cancel_task(args["task_id"])},
    "tasks.convert": _convert,
    "tasks.formats": lambda client, args: _served(_own_task(client, args["task_id"])),
    "tasks.report": _report,
    "formats.list": lambda client, args: client.get_formats(),
}


def call_operation(op: Operation, client: Client, args: dict[str, Any]) -> Any:
    """Run ``op`` with ``args`` on the embedded ``client`` (in a worker thread)."""
    store_call = op.store_call
    if store_call is None:
        return HANDLERS[op.name](client, args)
    store, method = store_call
    return getattr(getattr(client.catalog, store), method)(**args)


def import_lines(
    client: Client, lines: Iterable[tuple[int, bytes]], strict: bool, batch_size: int
) -> dict[str, Any]:
    """Import numbered NDJSON lines; the report as JSON."""
    report = client.catalog.importer.import_rows(lines, strict=strict, batch_size=batch_size)
    return report_to_json(report)
