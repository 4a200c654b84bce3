"""What plugins and the core exchange: the export context, problems, and the error policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from rowport.request._options import ERROR_POLICIES, ExportOptions, check_error_policy

if TYPE_CHECKING:
    from rowport.catalog import Catalog
    from rowport.request import ExportRequest

__all__ = ["ERROR_POLICIES", "ErrorPolicy", "ExportContext", "Problem"]


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
    :ivar batch: scratch space for one batch: emptied once every plugin saw the batch (what
        plugins share about its rows, keyed by a row's ``id()``, lives as long as the rows).
    """

    task_id: str
    request: ExportRequest
    catalog: Catalog
    options: dict[str, Any] = attrs.field(factory=dict)
    state: dict[str, Any] = attrs.field(factory=dict)
    batch: dict[str, Any] = attrs.field(factory=dict)

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
        on_error, ratio = check_error_policy(
            options.get("on_row_error", "keep"), options.get("max_error_ratio")
        )
        return cls(on_row_error=on_error, max_error_ratio=ratio)

    @classmethod
    def of(cls, options: ExportOptions) -> ErrorPolicy:
        """The policy of checked export options."""
        return cls(on_row_error=options.row_error_policy, max_error_ratio=options.max_error_ratio)
