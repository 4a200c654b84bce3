"""Sink options kept with a task, secrets excepted, so a sink can be re-driven later with the
options it had (``rowport tasks deliver ID --sink NAME``).

An option whose name looks like a secret (``token``, ``api_key``, ``password``,
``authorization``...) and every header value are withheld: the stored sink lists their names
under ``withheld``, and a re-delivery asks for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "HEADER_OPTIONS",
    "SECRET_NAME",
    "fill_withheld",
    "missing_withheld",
    "redact_request",
    "redact_sink_options",
    "stored_sink",
]

SECRET_NAME = re.compile(
    r"token|secret|passw|pwd|key|auth|credential|cookie|signature|session", re.IGNORECASE
)
HEADER_OPTIONS = frozenset({"headers"})  # options whose every value is withheld


def redact_sink_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``options`` without its secrets, and the dotted names of what was withheld.

    >>> redact_sink_options({"url": "https://x", "headers": {"Authorization": "Bearer T"}})
    ({'url': 'https://x'}, ['headers.Authorization'])
    """
    stored: dict[str, Any] = {}
    withheld: list[str] = []
    for key, value in options.items():
        if SECRET_NAME.search(key):
            withheld.append(key)
        elif key in HEADER_OPTIONS and isinstance(value, Mapping):
            withheld.extend(f"{key}.{name}" for name in value)
        elif isinstance(value, Mapping):
            inner, more = redact_sink_options(value)
            stored[key] = inner
            withheld.extend(f"{key}.{name}" for name in more)
        elif isinstance(value, (list, tuple)) and _holds_secret(value):
            withheld.append(key)  # a list is withheld whole: its items have no dotted names
        else:
            stored[key] = value
    return stored, withheld


def _holds_secret(value: Any) -> bool:
    """Whether a mapping with a secret-looking key sits anywhere inside ``value``."""
    if isinstance(value, Mapping):
        return any(
            SECRET_NAME.search(str(k)) or str(k) in HEADER_OPTIONS or _holds_secret(v)
            for k, v in value.items()
        )
    if isinstance(value, (list, tuple)):
        return any(_holds_secret(item) for item in value)
    return False


def redact_request(request: dict[str, Any]) -> dict[str, Any]:
    """A request's dict (``ExportRequest.to_dict()``) as it is stored with its task: each sink
    as ``{"name", "options"}`` with its secrets removed, plus ``"withheld"`` (their names)
    when there were any."""
    options = request.get("options") or {}
    sinks = options.get("sinks")
    if not sinks:
        return request
    stored = []
    for sink in sinks:
        kept, withheld = redact_sink_options(sink.get("options") or {})
        entry: dict[str, Any] = {"name": sink["name"], "options": kept}
        if withheld:
            entry["withheld"] = withheld
        stored.append(entry)
    return {**request, "options": {**options, "sinks": stored}}


def stored_sink(request: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """The first sink named ``name`` kept in a stored request (None when it had none)."""
    for sink in (request.get("options") or {}).get("sinks") or ():
        if isinstance(sink, Mapping) and sink.get("name") == name:
            return dict(sink)
    return None


def missing_withheld(withheld: Sequence[str], given: Mapping[str, Any]) -> list[str]:
    """The withheld options ``given`` does not supply (an option given at all, such as
    ``headers``, replaces what was withheld under it)."""
    return [path for path in withheld if path.split(".", 1)[0] not in given]


def fill_withheld(
    options: dict[str, Any], stored: Mapping[str, Any], answers: Mapping[str, Any]
) -> None:
    """Put the answers to withheld options (by dotted path: ``s3.secret_access_key``) into
    ``options``, keeping what the task stored beside each secret: ``{"s3": {"region": "eu"}}``
    stored and ``s3.secret_access_key`` answered give both, since an option in ``options``
    replaces the stored one whole."""
    for path, value in answers.items():
        *parents, leaf = path.split(".")
        into, kept = options, stored
        for name in parents:
            below = kept.get(name)
            kept = below if isinstance(below, Mapping) else {}
            if not isinstance(into.get(name), dict):
                into[name] = _deep_copy(kept)
            into = into[name]
        into[leaf] = value


def _deep_copy(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in value.items()}
