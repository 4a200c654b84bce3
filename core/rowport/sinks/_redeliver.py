"""Re-driving a sink from a finished task's RESULT stream (after a sink failed, or to send an
old export somewhere new)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from rowport.catalog import READABLE_STATUSES, TaskStatus
from rowport.errors import InvalidInput
from rowport.plugins import ExportContext, PluginHost
from rowport.request import ExportRequest
from rowport.sinks._delivery import DeliveryReport, SinkDelivery
from rowport.sinks._specs import SinkSpec, check_sinks, parse_sink_specs
from rowport.sinks._stored import missing_withheld, stored_sink
from rowport.streams import StreamReader, manifest_required, open_part

__all__ = ["redeliver"]


def _parts(client_or_manager: Any) -> tuple[Any, PluginHost]:
    """The task manager and plugin host of a :class:`~rowport.Client` or a ``TaskManager``."""
    manager = getattr(client_or_manager, "_tasks", client_or_manager)
    host = getattr(client_or_manager, "plugins", None) or getattr(manager, "host", None)
    if host is None:
        raise InvalidInput("redeliver needs plugins: this task manager has no plugin host")
    return manager, host


def _example(path: str) -> str:
    """How to give the withheld option at ``path`` (``s3.creds.token`` nests) on the CLI."""
    option, *inner = path.split(".")
    if not inner:
        return f"--sink-option {option}=..."
    value: Any = "..."
    for name in reversed(inner):
        value = {name: value}
    return f"--sink-option '{option}={orjson.dumps(value).decode()}'"


def redeliver(
    client_or_manager: Any,
    task_id: str,
    sink: str,
    options: Mapping[str, Any] | None = None,
    **delivery_kwargs: Any,
) -> DeliveryReport:
    """Deliver every row of a finished task's RESULT stream to ``sink``, in stream order.

    :param client_or_manager: a :class:`~rowport.Client` (or its ``TaskManager``).
    :param task_id: a COMPLETE (or CANCELED) export task.
    :param sink: a registered sink name.
    :param options: the sink's options (and the delivery's ``retries`` / ``backoff``); they
        override the options the task's own sink of that name had, which are reused (all but
        its secrets, which must be given again).
    :param delivery_kwargs: passed to :class:`SinkDelivery` (``batch_lines``...).
    :return: what the sink got; ``report.ok`` is False, with the error, when it failed.
    :raises NotFound: there is no such task.
    :raises InvalidInput: the task is not finished, the sink or its options are wrong, or a
        secret option of the task's sink was not given again (the message names it).
    :raises StreamCorrupted: the task's RESULT stream does not match its manifest (nothing was
        sent).
    """
    manager, host = _parts(client_or_manager)
    record = manager.tasks.get_task(task_id)
    if record.status not in READABLE_STATUSES:
        raise InvalidInput(
            f"task {task_id} is {record.status}; rows can be re-delivered from COMPLETE or"
            f" CANCELED tasks only"
        )
    stored_request = record.metadata["request"]
    given = dict(options or {})
    stored = stored_sink(stored_request, sink) or {}
    missing = missing_withheld(stored.get("withheld") or (), given)
    if missing:
        raise InvalidInput(
            f"sink {sink!r} of task {task_id} had options that are not stored with the task"
            f" (secrets): {', '.join(missing)}; give them again"
            f" ({', '.join(_example(path) for path in missing)})"
        )
    merged = {**(stored.get("options") or {}), **given}
    specs: list[SinkSpec] = parse_sink_specs([{"name": sink, "options": merged}])
    check_sinks(host, specs)
    request = ExportRequest.from_dict(stored_request)
    context = ExportContext(
        task_id=task_id,
        request=request,
        catalog=manager.catalog,
        options=dict(request.options.plugin_options or {}),
    )
    result_dir = manager.stream_dir(task_id, "result")
    complete = record.status is TaskStatus.COMPLETE
    reader = StreamReader(
        result_dir, required=manifest_required(result_dir, complete=complete, finished=True)
    )
    errors_dir = manager.stream_dir(task_id, "errors")
    errors = StreamReader(
        errors_dir, required=manifest_required(errors_dir, complete=complete, finished=True)
    )
    for part in reader.manifest.parts:  # refuse a damaged stream before sending any of it
        open_part(result_dir, part).close()
    delivery = SinkDelivery(host, specs, result_dir=result_dir, **delivery_kwargs)
    started = time.monotonic()
    delivery.open(context)
    try:
        for part in reader.manifest.parts:
            delivery.deliver(part)
    except BaseException:
        delivery.abort("re-delivery was interrupted")
        raise
    delivery.close(
        {
            "rows": reader.total_lines,
            "errors": errors.total_lines,
            "result_bytes": reader.total_size,
            "seconds": round(time.monotonic() - started, 3),
            "redelivery": True,
        }
    )
    return delivery.reports()[0]
