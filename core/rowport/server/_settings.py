"""What a ``rowport serve`` process is configured with."""

from __future__ import annotations

from pathlib import Path

import attrs

__all__ = ["ServerSettings"]

MiB = 1024 * 1024


@attrs.frozen(kw_only=True)
class ServerSettings:
    """The home served and the server's limits.

    :param home: the rowport home (its catalog holds the API keys; organizations under it).
    :param max_body_bytes: the largest JSON request body; a larger one is answered 413.
    :param max_import_bytes: the largest import body (NDJSON rows, streamed); 413 beyond.
    :param export_workers: exports run at once per organization.
    :param resume: at start, resume every export a stopped or killed server left interrupted
        (``rowport serve --resume``).
    :param timezone: the IANA zone the reference SDK's user is in (``rowport serve
        --timezone``): ``CurrentUserPyApi`` answers it, and the SDK sends its naive date
        filters in it (``/graphql`` reads each filter in the zone it names).
    """

    home: Path
    max_body_bytes: int = 16 * MiB
    max_import_bytes: int = 4096 * MiB
    export_workers: int = 2
    resume: bool = False
    timezone: str = "UTC"
