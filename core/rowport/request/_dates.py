"""Date range filters: the reference's three date formats, read in a time zone, kept in UTC."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rowport.errors import InvalidExportRequest
from rowport.request._models import DateRange

__all__ = ["DATE_FORMATS", "parse_date_range", "resolve_zone"]

DATE_FORMATS = (
    "YYYY-MM-DD (alias of YYYY-MM-DD 00:00:00), YYYY-MM-DD hh:mm:ss, "
    "YYYY-MM-DDThh:mm:ss±hhmm (ISO 8601)"
)

_DATE = r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
_TIME = r"(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
_PATTERNS = (
    re.compile(_DATE, re.ASCII),
    re.compile(_DATE + " " + _TIME, re.ASCII),
    # ISO 8601 with an offset: ±hhmm as the reference writes it, also ±hh:mm, Z and fractions.
    re.compile(
        _DATE + "T" + _TIME + r"(?:\.(?P<frac>\d{1,9}))?"
        r"(?:(?P<z>Z)|(?P<sign>[+-])(?P<oh>\d{2}):?(?P<om>\d{2}))",
        re.ASCII,
    ),
)


def resolve_zone(name: object) -> tzinfo:
    """The zone that naive dates are read in: an IANA name such as ``"America/New_York"``.

    :raises InvalidExportRequest: when the name is not a known zone.
    """
    if name == "UTC":
        return timezone.utc
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise InvalidExportRequest(
        f"unknown timezone {name!r}; use an IANA zone name such as 'UTC' or 'America/New_York'"
    )


def _parse_text(text: str, zone: tzinfo) -> datetime | None:
    for pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            break
    else:
        return None
    parts = match.groupdict()
    tz: tzinfo = zone
    if parts.get("sign"):
        hours, minutes = int(parts["oh"]), int(parts["om"])
        if hours > 23 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if parts["sign"] == "-" else offset)
    elif parts.get("z"):
        tz = timezone.utc
    try:
        naive = datetime(
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            int(parts.get("h") or 0),
            int(parts.get("mi") or 0),
            int(parts.get("s") or 0),
            int((parts.get("frac") or "0").ljust(6, "0")[:6]),
        )
    except ValueError:  # out of range, such as 2024-02-30 or 25:00:00
        return None
    return naive.replace(tzinfo=tz)


def _in_utc(name: str, value: object, moment: datetime) -> datetime:
    """``moment`` in UTC; a moment that falls outside years 1-9999 there (such as
    ``9999-12-31T23:59:59-0500``) is an invalid date, not an ``OverflowError``."""
    try:
        return moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise InvalidExportRequest(
            f"filter {name!r} has a date out of range {value!r}: in UTC it falls outside the"
            " years 1 to 9999"
        ) from None


def _parse_end(name: str, value: object, zone: tzinfo) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
        try:
            naive = moment.tzinfo is None or moment.utcoffset() is None
        except (OverflowError, ValueError):  # a tzinfo whose offset is not a valid one
            naive = False
        if naive:
            moment = moment.replace(tzinfo=zone)
        return _in_utc(name, value, moment)
    parsed = _parse_text(value, zone) if isinstance(value, str) else None
    if parsed is None:
        raise InvalidExportRequest(
            f"filter {name!r} has an invalid date {value!r}; "
            f"use None, a datetime or a string in one of: {DATE_FORMATS}"
        )
    return _in_utc(name, value, parsed)


def parse_date_range(name: str, value: object, zone: tzinfo) -> DateRange | None:
    """Read a ``[start, end]`` filter value; naive dates are in ``zone``, the result is in UTC.

    ``[None, None]`` selects everything and comes back as None (no filter).

    :raises InvalidExportRequest: naming the filter, the bad value and the accepted formats.
    """
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InvalidExportRequest(
            f"filter {name!r} must be a list of two items [start, end], either of which may be "
            f"None, got {value!r}; dates take one of: {DATE_FORMATS}"
        )
    start, end = (_parse_end(name, item, zone) for item in value)
    if start is not None and end is not None and start > end:
        raise InvalidExportRequest(
            f"filter {name!r} starts after it ends: {start.isoformat()} > {end.isoformat()} (UTC)"
        )
    if start is None and end is None:
        return None
    return DateRange(start=start, end=end)
