"""Per-export caches: read a source once per export, and a bounded LRU cache."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from rowport.plugins import ExportContext
from rowport_plugins._media._fetch import MediaError
from rowport_plugins._media._options import count_option, plugin_options

__all__ = ["BoundedCache", "cache_for", "read_once"]

T = TypeVar("T")
_READ_CACHE_ENTRIES = 4096
DEFAULT_CACHE_ENTRIES = 256
DEFAULT_CACHE_CHARS = 64 * 2**20


def read_once(
    context: ExportContext, key: str, source: Any, read: Callable[[str], T]
) -> T | MediaError:
    """``read(source)`` once per export and source, kept in ``context.state[key]`` (bounded,
    oldest dropped first); a :class:`MediaError` is kept and returned like a result."""
    cache: dict[str, T | MediaError] = context.state.setdefault(key, {})
    if not isinstance(source, str):
        return MediaError("MEDIA_UNREADABLE", "row_data is not a string")
    if source in cache:
        return cache[source]
    found: T | MediaError
    try:
        found = read(source)
    except MediaError as exc:
        found = exc
    if len(cache) >= _READ_CACHE_ENTRIES:
        cache.pop(next(iter(cache)))
    cache[source] = found
    return found


class BoundedCache:
    """A least-recently-used cache bounded by entry count and by the total size of its values.

    ``size_of(value)`` gives a value's size; a value larger than the whole budget is not kept.
    """

    def __init__(
        self, *, entries: int, budget: int, size_of: Callable[[Any], int] = lambda v: 1
    ) -> None:
        self.entries = max(0, entries)
        self.budget = max(0, budget)
        self.size_of = size_of
        self._data: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._used = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` when cached (and mark it recent), else ``(False, None)``."""
        found = self._data.get(key)
        if found is None:
            return False, None
        self._data.move_to_end(key)
        return True, found[0]

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key``, evicting the least recently used as needed."""
        size = self.size_of(value)
        if key in self._data:
            self._used -= self._data.pop(key)[1]
        if self.entries == 0 or size > self.budget:
            return
        self._data[key] = (value, size)
        self._used += size
        while len(self._data) > self.entries or self._used > self.budget:
            _, (_, dropped) = self._data.popitem(last=False)
            self._used -= dropped


def cache_for(context: ExportContext, name: str, key: str, size_of: Callable[[Any], int]) -> Any:
    """The export's bounded cache ``key`` in ``context.state``, sized by
    ``plugin_options[name]``: ``cache_entries`` (default 256) and ``cache_chars``."""
    found = context.state.get(key)
    if isinstance(found, BoundedCache):
        return found
    options = plugin_options(context, name)
    made = BoundedCache(
        entries=count_option(options, "cache_entries", DEFAULT_CACHE_ENTRIES),
        budget=count_option(options, "cache_chars", DEFAULT_CACHE_CHARS),
        size_of=size_of,
    )
    context.state[key] = made
    return made
