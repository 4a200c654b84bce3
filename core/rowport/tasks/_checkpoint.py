"""A task's checkpoint: how far its streams are known to be whole, so a resume continues there.

The runner replaces ``checkpoint.json`` in the task folder (atomically, durably) each time both
streams have committed every line of the batches so far: it names how many parts of each stream
that is, how many plan rows, and the plan key of the last of them. It also keeps the plan's
state when the task started (its bound and change digest, see
:class:`~rowport.catalog.PlanState`). A crash between a commit and the checkpoint leaves parts
past the checkpoint: a resume drops them and writes those rows again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs
import orjson

from rowport.catalog import PlanState
from rowport.errors import StreamCorrupted
from rowport.streams._manifest import fsync_directory

__all__ = ["CHECKPOINT_NAME", "Checkpoint"]

CHECKPOINT_NAME = "checkpoint.json"


@attrs.frozen(kw_only=True)
class Checkpoint:
    """Where a task's streams are whole: ``result_parts`` / ``errors_parts`` parts holding
    the first ``rows_done`` plan rows, the last of which has key ``after`` (None: no row yet)."""

    plan: PlanState | None = None
    result_parts: int = 0
    errors_parts: int = 0
    rows_done: int = 0
    after: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``checkpoint.json``."""
        return {
            "version": 1,
            "plan": None if self.plan is None else self.plan.to_dict(),
            "result_parts": self.result_parts,
            "errors_parts": self.errors_parts,
            "rows_done": self.rows_done,
            "after": self.after,
        }

    def write(self, task_dir: Path) -> None:
        """Replace the task's checkpoint (temp file, fsync, rename, fsync of the folder)."""
        temp = task_dir / f".{CHECKPOINT_NAME}.tmp"
        with open(temp, "wb") as f:
            f.write(orjson.dumps(self.to_dict()))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, task_dir / CHECKPOINT_NAME)
        fsync_directory(task_dir)

    @classmethod
    def read(cls, task_dir: Path) -> Checkpoint | None:
        """The task's checkpoint; None when it has none (it never got to plan its rows).

        :raises StreamCorrupted: the file is not a checkpoint.
        """
        path = task_dir / CHECKPOINT_NAME
        try:
            data = orjson.loads(path.read_bytes())
            plan = data["plan"]
            checkpoint = cls(
                plan=None
                if plan is None
                else PlanState(
                    bound=_int(plan["bound"]), rows=_int(plan["rows"]), digest=str(plan["digest"])
                ),
                result_parts=_int(data["result_parts"]),
                errors_parts=_int(data["errors_parts"]),
                rows_done=_int(data["rows_done"]),
                after=None if data["after"] is None else _int(data["after"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise StreamCorrupted(
                path, f"not a task checkpoint ({type(exc).__name__}: {exc})"
            ) from None
        return checkpoint


def _int(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return value
