"""A helper for plugin authors who only need a function of one row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rowport.plugins._model import ExportContext, Problem

__all__ = ["per_row"]

RowCheck = Callable[[dict[str, Any], ExportContext], "Iterable[tuple[str, str] | Problem] | None"]


def per_row(
    fn: Callable[[dict[str, Any], ExportContext], Iterable[Any] | None],
) -> Callable[[list[dict[str, Any]], ExportContext], list[Problem]]:
    """Turn ``fn(row, context)`` into a batch hook body.

    ``fn`` may return None, or problems as :class:`Problem` (its ``index`` is replaced) or as
    ``(code, message)`` / ``(code, message, details)`` tuples::

        @hookimpl
        def rowport_validate_rows(rows, context):
            return check(rows, context)

        @per_row
        def check(row, context):
            if not row["data_row"].get("global_key"):
                yield ("NO_GLOBAL_KEY", "the row has no global key")
    """

    def batch(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
        out: list[Problem] = []
        for index, row in enumerate(rows):
            for found in fn(row, context) or ():
                if isinstance(found, Problem):
                    out.append(
                        Problem(
                            index=index,
                            code=found.code,
                            message=found.message,
                            details=found.details,
                        )
                    )
                else:
                    code, message, *rest = found
                    out.append(
                        Problem(
                            index=index, code=code, message=message, details=rest[0] if rest else {}
                        )
                    )
        return out

    batch.__name__ = getattr(fn, "__name__", "per_row")
    batch.__doc__ = fn.__doc__
    return batch
