"""Training formats: turning an export's rows into COCO, YOLO, CoNLL... as plugins.

A plugin registers :class:`FormatSpec` objects with ``rowport_register_formats(register)``.
A conversion reads a task's RESULT stream in batches (during the export, or afterwards with
``task.convert``), writes into a staged directory renamed into place when complete (or a
``.zip``), and reports what the format could not carry (:class:`LossReport`,
``lossiness.json``). See ``docs/formats.md``.
"""

from __future__ import annotations

from rowport.formats._context import FormatContext, Selected, media_type_of
from rowport.formats._convert import BATCH_LINES, Conversion, ConversionReport, convert_lines
from rowport.formats._delivery import DeliveryChain, FormatDelivery, read_reports
from rowport.formats._files import Categories, JsonArrayFile, class_map_option, safe_stem
from rowport.formats._losses import LOSS_KINDS, FormatLossError, LossReport
from rowport.formats._output import OutputTarget
from rowport.formats._registry import (
    FormatRequest,
    build_conversion,
    format_spec,
    ontology_lookup,
    parse_format_requests,
)
from rowport.formats._served import (
    SERVED_DIR,
    check_served_name,
    describe_formats,
    report_from_dict,
    served_reports,
    served_requests,
    unpack_download,
)
from rowport.formats._spec import COMMON_OPTIONS, FormatOption, FormatSpec, FormatWriter
from rowport.formats._task import convert_task

__all__ = [
    "BATCH_LINES",
    "COMMON_OPTIONS",
    "LOSS_KINDS",
    "SERVED_DIR",
    "Categories",
    "Conversion",
    "ConversionReport",
    "DeliveryChain",
    "FormatContext",
    "FormatDelivery",
    "FormatLossError",
    "FormatOption",
    "FormatRequest",
    "FormatSpec",
    "FormatWriter",
    "JsonArrayFile",
    "LossReport",
    "OutputTarget",
    "Selected",
    "build_conversion",
    "check_served_name",
    "class_map_option",
    "convert_lines",
    "convert_task",
    "describe_formats",
    "format_spec",
    "media_type_of",
    "ontology_lookup",
    "parse_format_requests",
    "read_reports",
    "report_from_dict",
    "safe_stem",
    "served_reports",
    "served_requests",
    "unpack_download",
]
