"""What plugins and the core exchange: the export context, problems, and the error policy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from rowport.errors import InvalidInput

if TYPE_CHECKING:
    from rowport.catalog import Catalog
    from rowport.request import ExportRequest

__all__ = ["ERROR_POLICIES", "ErrorPolicy", "ExportContext", "Problem"]

ERROR_POLICIES = ("keep", "skip", "fail")


@attrs.frozen(kw_only=True)
class Problem:
    """Something wrong with one row of a batch, as a plugin reports it.

    :param index: the row's position in the batch the hook was given.
    :param code: a stable identifier, upper snake case (``BBOX_OUT_OF_BOUNDS``).
    :param message: for people: what is wrong and what is allowed.
    :param details: machine-readable specifics (JSON-serialisable).
    """

    index: int
    code: str
    message: str
    details: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.define
class ExportContext:
    """What a plugin knows about the export a batch belongs to.

    :ivar task_id: the export task's id.
    :ivar request: the validated request (kind, scope, params, filters, options).
    :ivar catalog: the catalog, to read entities (or cache media attributes).
    :ivar options: per-plugin options of this export (``plugin_options`` in the request).
    :ivar state: scratch space plugins may use across batches of one export.
    """

    task_id: str
    request: ExportRequest
    catalog: Catalog
    options: dict[str, Any] = attrs.field(factory=dict)
    state: dict[str, Any] = attrs.field(factory=dict)

    @property
    def params(self) -> Any:
        """The export's params (``context.params.interpolated_frames``...)."""
        return self.request.params


@attrs.frozen(kw_only=True)
class ErrorPolicy:
    """What happens to a row with problems: ``keep`` it (default), ``skip`` it, or ``fail`` the
    task; and the share of rows with problems past which the task fails anyway."""

    on_row_error: str = "keep"
    max_error_ratio: float | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ErrorPolicy:
        """Read and check ``on_row_error`` / ``max_error_ratio`` from export options."""
        on_error = options.get("on_row_error", "keep")
        if on_error not in ERROR_POLICIES:
            raise InvalidInput(
                f"on_row_error must be one of {', '.join(ERROR_POLICIES)}, got {on_error!r}"
            )
        ratio = options.get("max_error_ratio")
        if ratio is not None and (
            isinstance(ratio, bool)
            or not isinstance(ratio, (int, float))
            or not math.isfinite(ratio)
            or not 0 <= ratio <= 1
        ):
            raise InvalidInput(f"max_error_ratio must be a number from 0 to 1, got {ratio!r}")
        return cls(on_row_error=on_error, max_error_ratio=None if ratio is None else float(ratio))
