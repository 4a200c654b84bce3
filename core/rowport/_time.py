"""Timestamps: rowport writes them as ``2023-03-15T14:46:58.000+00:00`` (UTC, milliseconds)."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["format_ts", "now_ts", "parse_ts", "to_epoch"]


def format_ts(dt: datetime) -> str:
    """Format an aware datetime in UTC as the export format writes timestamps."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+00:00"


def now_ts() -> str:
    """The current time, formatted as :func:`format_ts` does."""
    return format_ts(datetime.now(timezone.utc))


def parse_ts(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or an offset; naive means UTC) into an aware datetime."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def to_epoch(value: str | None) -> float | None:
    """Seconds since the epoch for a timestamp string, for range filters; None stays None."""
    if value is None:
        return None
    return parse_ts(value).timestamp()
