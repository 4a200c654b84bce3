"""What plugin authors use from rowport's plugin system.

Plugins implement the hooks in :mod:`rowport.hookspecs` with ``@rowport.hookimpl``; a hook is
handed an :class:`ExportContext` and reports :class:`Problem` objects; :func:`per_row` turns a
per-row function into a batch hook; :func:`remembered` keeps a check of an unchanged label from
running again; :func:`parsed` parses a section a plugin did not declare, :func:`peek` reads one
(the stored JSON stays, written back as it is). :func:`load` / :class:`PluginHost` load and call
plugins (for a test or an embedding application). See ``docs/plugins.md``.

The host's internals (the loader's records, the pipeline step, the error policy) live in the
private modules of this package and are not part of the plugin API.
"""

from __future__ import annotations

from rowport.plugins._checks import remembered
from rowport.plugins._host import HookFailure, PluginHost, RaisedProblem
from rowport.plugins._manager import get_plugin_manager, load
from rowport.plugins._model import ExportContext, Problem
from rowport.plugins._rows import per_row
from rowport.plugins._sections import SECTIONS, parsed, peek

__all__ = [
    "SECTIONS",
    "ExportContext",
    "HookFailure",
    "PluginHost",
    "Problem",
    "RaisedProblem",
    "get_plugin_manager",
    "load",
    "parsed",
    "peek",
    "per_row",
    "remembered",
]
