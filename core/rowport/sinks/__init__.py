"""Sinks: where an export's rows go besides its RESULT stream.

A plugin registers sink factories with ``rowport_register_sinks(register)``; an export names
them (``project.export(sinks=["ndjson_file", ...])``). Sinks receive rows only after the RESULT
stream holds them, so a failed sink loses nothing and can be re-driven from the stream with
:func:`redeliver` (``rowport tasks deliver ID --sink NAME``). See ``docs/sinks.md``.
"""

from __future__ import annotations

from rowport.sinks._contract import (
    BaseSink,
    Sink,
    SinkError,
    SinkFatalError,
    build_sink,
    check_sink,
    sink_options,
)
from rowport.sinks._delivery import BATCH_LINES, MAX_PENDING_PARTS, DeliveryReport, SinkDelivery
from rowport.sinks._redeliver import redeliver
from rowport.sinks._specs import (
    DEFAULT_BACKOFF,
    DEFAULT_RETRIES,
    DELIVERY_OPTIONS,
    RetryPolicy,
    SinkSpec,
    check_sinks,
    parse_sink_specs,
)

__all__ = [
    "BATCH_LINES",
    "DEFAULT_BACKOFF",
    "DEFAULT_RETRIES",
    "DELIVERY_OPTIONS",
    "MAX_PENDING_PARTS",
    "BaseSink",
    "DeliveryReport",
    "RetryPolicy",
    "Sink",
    "SinkDelivery",
    "SinkError",
    "SinkFatalError",
    "SinkSpec",
    "build_sink",
    "check_sink",
    "check_sinks",
    "parse_sink_specs",
    "redeliver",
    "sink_options",
]
