"""rowport's plugin system: loading, the typed facade, and the pipeline step.

Plugins implement the hooks in :mod:`rowport.hookspecs` with ``@rowport.hookimpl``. See
``docs/plugins.md``.
"""

from __future__ import annotations

from rowport.plugins._host import PluginHost, PluginInfo, RaisedProblem
from rowport.plugins._manager import (
    ENTRY_POINT_GROUP,
    LoadedPlugins,
    PluginSource,
    get_plugin_manager,
    load,
)
from rowport.plugins._model import ERROR_POLICIES, ErrorPolicy, ExportContext, Problem
from rowport.plugins._rows import per_row
from rowport.plugins._step import ErrorPolicyExceeded, PluginStep

__all__ = [
    "ENTRY_POINT_GROUP",
    "ERROR_POLICIES",
    "ErrorPolicy",
    "ErrorPolicyExceeded",
    "ExportContext",
    "LoadedPlugins",
    "PluginHost",
    "PluginInfo",
    "PluginSource",
    "PluginStep",
    "Problem",
    "RaisedProblem",
    "get_plugin_manager",
    "load",
    "per_row",
]
