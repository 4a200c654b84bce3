"""The runner step that runs plugins on each batch and applies the export's error policy."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rowport.errors import RowportError
from rowport.media_types import MediaType
from rowport.plugins._checks import flush_checks, forget_batch, wait_for_checks
from rowport.plugins._host import PluginHost, RaisedProblem
from rowport.plugins._model import ErrorPolicy, ExportContext
from rowport.plugins._sections import forget_peeked

__all__ = ["ErrorPolicyExceeded", "PluginStep", "ratio_exceeded"]

_MIN_ROWS_FOR_RATIO = 100  # judge max_error_ratio only once this many rows were seen


class ErrorPolicyExceeded(RowportError):
    """The export's error policy says stop: the task fails with this message."""


class PluginStep:
    """Validate, apply the error policy, then transform, per media type of a batch."""

    def __init__(self, host: PluginHost, policy: ErrorPolicy) -> None:
        self.host = host
        self.policy = policy
        self.rows_seen = 0
        self.rows_with_problems = 0
        self._context: ExportContext | None = None
        #: the RESULT lines of the last batch's rows that transform hooks reached, by the
        #: ``id`` of the row (kept, not dropped): the last check that a transform left them
        #: JSON encoded them, and nothing changes them after it (this is the pipeline's last
        #: step), so the runner writes these instead of encoding the rows again
        self.encoded: dict[int, bytes] = {}
        # per media type, the stored JSON the assembler parses: the sections the plugins a
        # batch of that type reaches declared (none for a type no plugin looks at)
        self.sections: dict[str, frozenset[str] | None] = {
            m: host.sections_for(m) if host.has_row_hooks(m) else frozenset()
            for m in (*(t.value for t in MediaType), "")
        }

    def __call__(
        self, rows: list[dict[str, Any]], context: ExportContext
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        self._context = context
        self.encoded = {}
        groups: dict[str, list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            groups[row.get("_media_type", "")].append(i)
        dropped: set[int] = set()
        bad: set[int] = set()
        out_problems: list[dict[str, Any]] = []
        lines: dict[int, bytes] = {}
        for media_type, positions in groups.items():
            if not self.host.has_row_hooks(media_type):
                continue
            batch = [rows[i] for i in positions]
            found = self.host.validate(media_type, batch, context)
            forget_peeked(context)
            for raised in found:
                out_problems.append(_problem_line(raised, batch))
                bad.add(positions[raised.problem.index])
            if found and self.policy.on_row_error == "fail":
                first = found[0]
                raise ErrorPolicyExceeded(
                    f"on_row_error=fail: {first.plugin} found {first.problem.code} in data row"
                    f" {batch[first.problem.index]['data_row']['id']}: {first.problem.message}"
                )
            if self.policy.on_row_error == "skip":
                dropped.update(positions[r.problem.index] for r in found)
            kept = [rows[i] for i in positions if i not in dropped]
            kept_positions = [i for i in positions if i not in dropped]
            if not kept:
                continue
            encoded: list[bytes] = []
            changed = self.host.transform(media_type, kept, context, encoded=encoded)
            if encoded:
                lines.update(zip(kept_positions, encoded, strict=True))
            for raised in changed:
                out_problems.append(_problem_line(raised, kept))
                bad.add(kept_positions[raised.problem.index])
                if self.policy.on_row_error == "skip":
                    dropped.add(kept_positions[raised.problem.index])
            if changed and self.policy.on_row_error == "fail":
                first = changed[0]
                raise ErrorPolicyExceeded(
                    f"on_row_error=fail: {first.plugin} raised {first.problem.code} in data row"
                    f" {kept[first.problem.index]['data_row']['id']}: {first.problem.message}"
                )
        forget_batch(context)
        context.batch.clear()
        self.rows_seen += len(rows)
        self.rows_with_problems += len(bad)
        exceeded = ratio_exceeded(self.rows_seen, self.rows_with_problems, self.policy)
        if exceeded is not None:
            raise ErrorPolicyExceeded(exceeded)
        kept_rows = [row for i, row in enumerate(rows) if i not in dropped] if dropped else rows
        self.encoded = {id(rows[i]): line for i, line in lines.items() if i not in dropped}
        return kept_rows, out_problems

    def finish(self) -> None:
        """Write the findings of remembered checks still in memory; judge ``max_error_ratio``
        on small exports too, once every row was seen."""
        if self._context is not None:
            flush_checks(self._context)
            wait_for_checks(self._context)
        exceeded = ratio_exceeded(self.rows_seen, self.rows_with_problems, self.policy, end=True)
        if exceeded is not None:
            raise ErrorPolicyExceeded(exceeded)

    def close(self) -> None:
        """The export ended, whichever way: wait for the findings still being written (see
        :func:`~rowport.plugins.flush_checks`), so nothing of it outlives the export."""
        if self._context is not None:
            wait_for_checks(self._context)


def ratio_exceeded(seen: int, bad: int, policy: ErrorPolicy, *, end: bool = False) -> str | None:
    """Why ``max_error_ratio`` stops the export after ``seen`` rows of which ``bad`` had
    problems (None: it goes on). While it runs, judged once :data:`_MIN_ROWS_FOR_RATIO` rows
    were seen; at its ``end``, on small exports too. (A sharded export judges the shards'
    batches in key order with it, as one process would.)"""
    limit = policy.max_error_ratio
    if limit is None or not seen or bad / seen <= limit:
        return None
    if end:
        return f"{bad} of {seen} rows had problems, above max_error_ratio {limit:.1%}"
    if seen < _MIN_ROWS_FOR_RATIO:
        return None
    return (
        f"{bad} of {seen} rows had problems ({bad / seen:.1%}), above max_error_ratio {limit:.1%}"
    )


def _problem_line(raised: RaisedProblem, batch: list[dict[str, Any]]) -> dict[str, Any]:
    row = batch[raised.problem.index]["data_row"]
    return {
        "data_row": {"id": row["id"], "global_key": row.get("global_key")},
        "stage": raised.stage,
        "plugin": raised.plugin,
        "code": raised.problem.code,
        "message": raised.problem.message,
        "details": dict(raised.problem.details),
    }
