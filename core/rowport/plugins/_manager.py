"""Building a plugin manager: built-ins by name, third-party packages from entry points.

No manager exists at import time: :func:`get_plugin_manager` returns a fresh one each call.
Entry points (group ``rowport``) load one by one in our own loop, so one broken package is
reported by name and skipped (or fatal with ``ROWPORT_STRICT_PLUGINS=1``) instead of taking the
tool down. ``ROWPORT_BLOCK_PLUGINS=a,b`` blocks plugins by name (built-ins included);
``ROWPORT_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry points altogether.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import warnings
from collections.abc import Iterable

import attrs
import pluggy

from rowport import hookspecs
from rowport.errors import PluginLoadError

__all__ = ["ENTRY_POINT_GROUP", "LoadedPlugins", "PluginSource", "get_plugin_manager", "load"]

ENTRY_POINT_GROUP = "rowport"


@attrs.frozen(kw_only=True)
class PluginSource:
    """Where a registered plugin came from."""

    name: str
    builtin: bool
    distribution: str | None = None
    version: str | None = None


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _env_list(name: str) -> set[str]:
    return {p.strip() for p in os.environ.get(name, "").split(",") if p.strip()}


def builtin_plugin_names() -> tuple[str, ...]:
    """The modules listed in ``rowport_plugins.BUILTIN_PLUGINS``."""
    module = importlib.import_module("rowport_plugins")
    names: tuple[str, ...] = tuple(module.BUILTIN_PLUGINS)
    return names


@attrs.frozen(kw_only=True)
class LoadedPlugins:
    """A plugin manager with where each plugin came from and what failed to load."""

    pm: pluggy.PluginManager
    sources: dict[str, PluginSource]
    load_errors: list[PluginLoadError]


def get_plugin_manager(
    *,
    builtins: bool = True,
    autoload: bool | None = None,
    block: Iterable[str] | None = None,
    strict: bool | None = None,
) -> pluggy.PluginManager:
    """A fresh plugin manager with third-party plugins, then built-ins, registered.

    Same arguments as :func:`load`.
    """
    return load(builtins=builtins, autoload=autoload, block=block, strict=strict).pm


def load(
    *,
    builtins: bool = True,
    autoload: bool | None = None,
    block: Iterable[str] | None = None,
    strict: bool | None = None,
) -> LoadedPlugins:
    """Register third-party plugins (entry points), then built-ins, on a fresh manager.

    :param builtins: register the built-in plugins.
    :param autoload: load entry points (default: unless ``ROWPORT_DISABLE_PLUGIN_AUTOLOAD``).
    :param block: plugin names to block (default: ``ROWPORT_BLOCK_PLUGINS``).
    :param strict: a plugin that fails to load is fatal (default: ``ROWPORT_STRICT_PLUGINS``).
    :raises PluginLoadError: in strict mode, naming the entry point and its distribution.
    """
    pm = pluggy.PluginManager("rowport")
    pm.add_hookspecs(hookspecs)
    blocked = set(block) if block is not None else _env_list("ROWPORT_BLOCK_PLUGINS")
    if autoload is None:
        autoload = not _env_flag("ROWPORT_DISABLE_PLUGIN_AUTOLOAD")
    if strict is None:
        strict = _env_flag("ROWPORT_STRICT_PLUGINS")
    for name in blocked:
        pm.set_blocked(name)
    sources: dict[str, PluginSource] = {}
    load_errors: list[PluginLoadError] = []
    if autoload:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in blocked:
                continue
            dist = getattr(ep, "dist", None)
            dist_name = dist.name if dist is not None else None
            version = dist.version if dist is not None else None
            try:
                plugin = ep.load()
                pm.register(plugin, name=ep.name)
            except Exception as exc:
                error = PluginLoadError(
                    f"plugin {ep.name!r} (entry point {ep.value!r} of distribution"
                    f" {dist_name or 'unknown'} {version or ''}) failed to load:"
                    f" {type(exc).__name__}: {exc}".replace(" )", ")")
                )
                if strict:
                    raise error from exc
                warnings.warn(str(error), RuntimeWarning, stacklevel=2)
                load_errors.append(error)
                continue
            sources[ep.name] = PluginSource(
                name=ep.name, builtin=False, distribution=dist_name, version=version
            )
    if builtins:
        for module_name in builtin_plugin_names():
            if module_name in blocked:
                continue
            pm.register(importlib.import_module(module_name), name=module_name)
            sources[module_name] = PluginSource(name=module_name, builtin=True)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(f"a plugin implements an unknown hook: {exc}") from exc
    return LoadedPlugins(pm=pm, sources=sources, load_errors=load_errors)
