"""The exit codes of the ``rowport`` command (see docs/cli.md), in one place for the CLI and
the plugin commands that live beside their subsystems (``rowport tasks deliver``)."""

from __future__ import annotations

__all__ = ["BROKEN_PIPE", "ERROR", "INTERRUPTED", "OK", "SINK_FAILED", "USAGE"]

OK = 0
ERROR = 1  # an error or a task that ended FAILED / CANCELED: one ``Error:`` line, no traceback
USAGE = 2  # invalid usage, or an output path that cannot be written; nothing was started
SINK_FAILED = 3  # a sink failed after its retries; the task's streams (and -o) hold every row
INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away
