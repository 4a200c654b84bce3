"""The one cattrs converter of rowport, on the orjson preset.

Renames and omissions live here, never on the models. Request params and filters leave out
their defaults, so a stored request holds only what was asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cattrs
from cattrs.gen import make_dict_unstructure_fn
from cattrs.preconf.orjson import make_converter

from rowport.errors import InvalidExportRequest
from rowport.request._models import DateRange, ExportFilters, ExportParams, ExportRequest
from rowport.request._options import ExportOptions

__all__ = ["converter", "structure_request", "unstructure_request"]

converter = make_converter()


def _structure_bool(value: object, _: type) -> bool:
    # The preset calls bool(value), which reads "false" and 1 as True; stored JSON has real bools.
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected a bool, got {value!r}")


converter.register_structure_hook(bool, _structure_bool)

# --- export requests ---------------------------------------------------------------------------


def _unstructure_date_range(value: DateRange) -> dict[str, str | None]:
    # The preset leaves datetimes for orjson to encode; stored requests want plain strings.
    return {
        "start": None if value.start is None else value.start.isoformat(),
        "end": None if value.end is None else value.end.isoformat(),
    }


converter.register_unstructure_hook(DateRange, _unstructure_date_range)

for _cls in (ExportParams, ExportFilters):
    converter.register_unstructure_hook(
        _cls, make_dict_unstructure_fn(_cls, converter, _cattrs_omit_if_default=True)
    )


converter.register_unstructure_hook(ExportOptions, ExportOptions.to_dict)
converter.register_structure_hook(ExportOptions, lambda value, _: ExportOptions.from_mapping(value))


def unstructure_request(request: ExportRequest) -> dict[str, Any]:
    """The request as JSON-ready data; dates come out as ISO 8601 strings in UTC."""
    data: dict[str, Any] = converter.unstructure(request)
    return data


def structure_request(data: Mapping[str, Any]) -> ExportRequest:
    """The request that ``data`` describes, checked for types only.

    :raises InvalidExportRequest: listing each bad field by path, such as ``$.filters.batch_ids``.
    """
    if not isinstance(data, Mapping):
        raise InvalidExportRequest(f"an export request must be a mapping, got {data!r}")
    try:
        return converter.structure(dict(data), ExportRequest)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as error:
        if isinstance(error, cattrs.BaseValidationError):
            reason = "; ".join(cattrs.transform_error(error))
        else:
            reason = str(error)
        raise InvalidExportRequest(f"invalid export request: {reason}") from error
