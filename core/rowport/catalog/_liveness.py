"""Who runs a task, and whether that runner still lives.

A runner is named ``host:pid:start``, where ``start`` is the process's start time in clock
ticks since boot (field 22 of ``/proc/PID/stat``) and the first 8 characters of the kernel's
boot id. A process id alone is not an identity: after a container restart the same pid belongs
to another process, and a task must not stay IN_PROGRESS because some unrelated process got
its runner's number. On this host, a runner is alive exactly while a process with its pid *and*
its start time exists (and is not a zombie): a dead runner is seen at once. A runner on another
host is judged by its heartbeat instead (see :func:`heartbeat_stale`).

Where ``/proc`` is missing (not Linux) the identity is ``host:pid`` and only the pid is checked.
"""

from __future__ import annotations

import functools
import os
import socket

__all__ = [
    "DEFAULT_HEARTBEAT",
    "MISSED_BEATS",
    "describe_runner",
    "heartbeat_stale",
    "process_start",
    "runner_alive",
    "runner_identity",
]

DEFAULT_HEARTBEAT = 2.0  # seconds between a runner's heartbeats
MISSED_BEATS = 3  # heartbeats missed before a runner on another host is declared dead


@functools.cache
def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip().replace("-", "")[:8]
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    _, _, rest = text.rpartition(") ")
    return rest.split() or None


def process_start(pid: int) -> str | None:
    """``"TICKS@BOOT"``: when process ``pid`` started (None when it does not exist or this
    system has no ``/proc``)."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    return f"{fields[19]}@{_boot_id()}"


def runner_identity(pid: int | None = None) -> str:
    """``host:pid:start`` of this process (or of ``pid`` on this host)."""
    pid = os.getpid() if pid is None else pid
    start = process_start(pid)
    host = socket.gethostname()
    return f"{host}:{pid}" if start is None else f"{host}:{pid}:{start}"


def _parse(identity: str) -> tuple[str, int, str | None] | None:
    """``(host, pid, start)`` of an identity (``start`` None in the old ``host:pid`` form)."""
    head, _, last = identity.rpartition(":")
    if "@" in last:  # host:pid:start
        host, _, pid = head.rpartition(":")
        start: str | None = last
    else:  # host:pid
        host, pid, start = head, last, None
    if not host or not pid.isdigit():
        return None
    return host, int(pid), start


def describe_runner(identity: str | None) -> str:
    """``"process 4242 on myhost"`` for a runner's identity (the identity itself when it
    cannot be read)."""
    parsed = _parse(identity or "")
    if parsed is None:
        return repr(identity)
    return f"process {parsed[1]} on {parsed[0]}"


def runner_alive(identity: str | None) -> bool | None:
    """Whether the runner ``identity`` lives: True or False for a runner on this host, None
    for one on another host (or an identity this cannot read), which only its heartbeat tells.
    """
    parsed = _parse(identity or "")
    if parsed is None or parsed[0] != socket.gethostname():
        return None
    _, pid, start = parsed
    fields = _stat_fields(pid)
    if fields is None:
        return _pid_exists(pid) if not os.path.isdir("/proc") else False
    if fields[0] == "Z":  # a zombie (killed child not yet reaped) is dead for our purposes
        return False
    return start is None or process_start(pid) == start


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def heartbeat_stale(heartbeat_ts: float | None, interval: float | None, now: float) -> bool:
    """Whether a runner on another host missed :data:`MISSED_BEATS` heartbeats of
    ``interval`` seconds (:data:`DEFAULT_HEARTBEAT` when the task did not record one)."""
    beat = interval if interval and interval > 0 else DEFAULT_HEARTBEAT
    return now - (heartbeat_ts or 0.0) > MISSED_BEATS * beat
