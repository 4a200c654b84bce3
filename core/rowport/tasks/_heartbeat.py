"""A runner's two background duties: beating while it runs, and recording how it ended.

One thread per task manager writes each running task's heartbeat every interval, whatever its
runner is doing (a plugin may take a minute on one batch: another host must still see the
runner alive), and sets a runner's cancel event as soon as it reads CANCELLING, so a runner
blocked on a sink notices a cancel made by another process.

A final status that cannot be written (the catalog's disk is full) is retried in the background
until it can be: the task never stays IN_PROGRESS once its runner has ended.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from rowport.catalog import TaskStatus, TaskStore

__all__ = ["Heartbeats", "record_status"]

logger = logging.getLogger(__name__)

_FIRST_RETRY = 0.05  # seconds before the first retry of a status write that failed


class Heartbeats:
    """Beats for the running tasks of one manager, on one daemon thread (so one catalog
    connection however many tasks run): every ``interval`` seconds each registered task gets a
    heartbeat, and the cancel event of one that reads CANCELLING is set."""

    def __init__(self, tasks: TaskStore, interval: float) -> None:
        self.tasks = tasks
        self.interval = interval
        self._beating: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, task_id: str, cancel_event: threading.Event) -> None:
        """Beat for ``task_id`` from now on (starts the thread on first use)."""
        with self._lock:
            self._beating[task_id] = cancel_event
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="rowport-heartbeat", daemon=True
                )
                self._thread.start()

    def unregister(self, task_id: str) -> None:
        """Stop beating for ``task_id`` (its runner ended)."""
        with self._lock:
            self._beating.pop(task_id, None)

    def stop(self) -> None:
        """End the thread and wait for it (it wakes at once): a beat must not be written
        while the catalog it writes to is being closed."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                beating = list(self._beating.items())
            for task_id, cancel_event in beating:
                try:
                    status = self.tasks.record_progress(task_id)
                except Exception as exc:  # a full or locked catalog: beat again next time
                    logger.debug("heartbeat of task %s failed: %s", task_id, exc)
                    continue
                if status is TaskStatus.CANCELLING:
                    cancel_event.set()  # wakes a runner waiting on a sink


def record_status(
    tasks: TaskStore, task_id: str, status: TaskStatus, *, retry_every: float, **fields: Any
) -> bool | None:
    """Write a task's final status; when that fails, keep retrying on a daemon thread (backing
    off up to ``retry_every`` seconds) until it is written. Returns what ``set_status`` said
    (False: the move was refused, the task had ended otherwise), or None while retrying.
    """
    try:
        return tasks.set_status(task_id, status, **fields)
    except Exception as exc:
        logger.warning(
            "could not record task %s as %s (%s); retrying until the catalog can be written",
            task_id,
            status,
            exc,
        )
    threading.Thread(
        target=_retry,
        args=(tasks, task_id, status, retry_every, fields),
        name=f"rowport-record-{task_id}",
        daemon=True,
    ).start()
    return None


def _retry(
    tasks: TaskStore, task_id: str, status: TaskStatus, most: float, fields: dict[str, Any]
) -> None:
    delay = _FIRST_RETRY
    while True:
        time.sleep(delay)
        try:
            tasks.set_status(task_id, status, **fields)
            return
        except Exception:
            delay = min(delay * 2, most)
