"""The typed facade: the only code that calls plugin hooks.

Row hooks are dispatched by media type: a batch of ``image`` rows reaches the plugins that
declared ``image`` plus the media-agnostic ones, from a per-media-type list of implementations
built once, so eight built-ins cost one call per batch, not eight. Each implementation is called
on its own, so every problem and every exception is attributed to the plugin that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import pluggy

from rowport.errors import InvalidInput, PluginLoadError, RowportError
from rowport.media_types import MediaType
from rowport.plugins._manager import LoadedPlugins, PluginSource, load
from rowport.plugins._model import ExportContext, Problem
from rowport.plugins._output import encode_rows, unserialisable_values
from rowport.plugins._sections import check_sections, union_of

__all__ = ["HookFailure", "PluginHost", "PluginInfo", "RaisedProblem"]

_ROW_HOOKS = ("rowport_validate_rows", "rowport_transform_rows")
# hooks pluggy calls as a whole (wrappers apply); the host calls every other one implementation
# by implementation, so a wrapper there would never run: it is refused at load
_WRAPPABLE = frozenset({"rowport_register_commands"})


@attrs.frozen(kw_only=True)
class PluginInfo:
    """A registered plugin, for ``rowport plugins``."""

    name: str
    builtin: bool
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    media_types: tuple[str, ...] | None  # None: media-agnostic


@attrs.frozen(kw_only=True)
class HookFailure:
    """A lifecycle hook implementation that raised."""

    plugin: str
    hook: str
    error: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.hook}: {self.error}"


@attrs.frozen(kw_only=True)
class RaisedProblem:
    """A problem with the plugin and stage it came from."""

    plugin: str
    stage: str
    problem: Problem


class PluginHost:
    """Plugins of one rowport process, behind typed methods."""

    def __init__(self, loaded: LoadedPlugins) -> None:
        self.pm = loaded.pm
        self.sources = loaded.sources
        self.load_errors = loaded.load_errors
        self._refuse_wrappers()
        self._media: dict[str, tuple[str, ...] | None] = self._declared_media_types()
        self._row_impls: dict[tuple[str, str], list[pluggy.HookImpl]] = {}
        self._sinks: dict[str, tuple[str, Callable[..., Any]]] | None = None
        self._formats: dict[str, tuple[str, Any]] | None = None
        self._sections: dict[str, frozenset[str]] = self._declared_sections()

    @classmethod
    def load(cls, **kwargs: Any) -> PluginHost:
        """Load plugins (see :func:`rowport.plugins.load` for the arguments)."""
        return cls(load(**kwargs))

    # -- declarations -----------------------------------------------------------------------

    def _declared_media_types(self) -> dict[str, tuple[str, ...] | None]:
        out: dict[str, tuple[str, ...] | None] = {}
        for impl in self.pm.hook.rowport_declare_media_types.get_hookimpls():
            name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            try:
                declared = impl.function()
                if isinstance(declared, str) or not isinstance(declared, Iterable):
                    raise InvalidInput("rowport_declare_media_types must return a list of names")
                out[name] = tuple(MediaType.parse(m).value for m in declared)
            except Exception as exc:
                raise PluginLoadError(
                    f"plugin {name!r} declared media types wrongly: {exc}"
                ) from exc
        return out

    def _refuse_wrappers(self) -> None:
        for caller in self.pm.hook.__dict__.values():
            if not isinstance(caller, pluggy.HookCaller) or caller.name in _WRAPPABLE:
                continue
            for impl in caller.get_hookimpls():
                if impl.wrapper or impl.hookwrapper:
                    kind = "wrapper=True" if impl.wrapper else "hookwrapper=True"
                    raise PluginLoadError(
                        f"plugin {self.plugin_name(impl.plugin)!r}: @hookimpl({kind}) on"
                        f" {caller.name} is not supported: rowport calls each implementation"
                        " of this hook on its own (so every failure is attributed to its"
                        " plugin), and a wrapper would never run; drop the wrapper and do the"
                        " work in the hook itself (wrappers work on rowport_register_commands)"
                    )

    def _declared_sections(self) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for impl in self.pm.hook.rowport_declare_sections.get_hookimpls():
            name = self.plugin_name(impl.plugin)
            try:
                declared: Any = impl.function()
                out[name] = check_sections(declared, "rowport_declare_sections")
            except Exception as exc:
                raise PluginLoadError(f"plugin {name!r} declared sections wrongly: {exc}") from exc
        return out

    def sections_of(self, name: str) -> frozenset[str] | None:
        """The sections a plugin declared it reads (None: every section)."""
        return self._sections.get(name)

    def sections_for(self, media_type: str) -> frozenset[str] | None:
        """The sections the row hooks a batch of ``media_type`` reaches read: the union of what
        their plugins declared (None: every section, when one of them declared nothing)."""
        return union_of(self.sections_of(n) for n in self.plugins_for(media_type))

    def plugin_name(self, plugin: object) -> str:
        """The registered name of a plugin object."""
        return self.pm.get_name(plugin) or repr(plugin)

    def media_types_of(self, name: str) -> tuple[str, ...] | None:
        """The media types a plugin declared (None: media-agnostic)."""
        return self._media.get(name)

    def _impls(self, hook: str, media_type: str) -> list[pluggy.HookImpl]:
        key = (hook, media_type)
        impls = self._row_impls.get(key)
        if impls is None:
            caller = getattr(self.pm.hook, hook)
            impls = []
            # pluggy calls the last of get_hookimpls() first (tryfirst last, trylast first)
            for impl in reversed(caller.get_hookimpls()):
                declared = self._media.get(self.plugin_name(impl.plugin))
                if declared is None or media_type in declared:
                    impls.append(impl)
            self._row_impls[key] = impls
        return impls

    def row_hook_count(self, media_type: str) -> int:
        """How many implementations a batch of ``media_type`` reaches (validate + transform)."""
        return sum(len(self._impls(h, media_type)) for h in _ROW_HOOKS)

    def has_row_hooks(self, media_type: str) -> bool:
        """Whether any plugin looks at rows of ``media_type``."""
        return self.row_hook_count(media_type) > 0

    # -- rows -------------------------------------------------------------------------------

    def _call_rows(
        self,
        hook: str,
        stage: str,
        rows: list[dict[str, Any]],
        context: ExportContext,
        media_type: str,
        encoded: list[bytes] | None = None,
        **extra: Any,
    ) -> list[RaisedProblem]:
        """Call each implementation of ``hook`` that a batch of ``media_type`` reaches. After
        a hook that changes rows, the rows must still be JSON: checked after each
        implementation, and after the last one (with ``encoded``, a list) by encoding them
        into ``encoded``, once, as their RESULT lines (see :func:`encode_rows`)."""
        out: list[RaisedProblem] = []
        impls = self._impls(hook, media_type)
        last = len(impls) - 1
        for n, impl in enumerate(impls):
            name = self.plugin_name(impl.plugin)
            try:
                found = impl.function(
                    *[{"rows": rows, "context": context, **extra}[a] for a in impl.argnames]
                )
                out.extend(self._checked(name, stage, found, len(rows)))
            except Exception:
                out.extend(self._isolate(impl, name, stage, rows, context, **extra))
            if stage == "validate":
                continue
            # the hooks that change rows must leave them JSON
            if n == last and encoded is not None:
                lines, problems = encode_rows(name, stage, rows)
                encoded.extend(lines)
            else:
                problems = unserialisable_values(name, stage, rows)
            out.extend(RaisedProblem(plugin=name, stage=stage, problem=p) for p in problems)
        return out

    @staticmethod
    def _checked(name: str, stage: str, found: Any, size: int) -> list[RaisedProblem]:
        if found is None:
            return []
        out = []
        for problem in found:
            if not isinstance(problem, Problem) or not 0 <= problem.index < size:
                raise RowportError(
                    f"plugin {name!r} returned {problem!r} from {stage}; expected Problem objects"
                    f" with an index from 0 to {size - 1}"
                )
            out.append(RaisedProblem(plugin=name, stage=stage, problem=problem))
        return out

    def _isolate(
        self,
        impl: pluggy.HookImpl,
        name: str,
        stage: str,
        rows: list[dict[str, Any]],
        context: ExportContext,
        **extra: Any,
    ) -> list[RaisedProblem]:
        """A plugin raised on a batch: call it row by row to name the rows it fails on."""
        out: list[RaisedProblem] = []
        for index, row in enumerate(rows):
            try:
                found = impl.function(
                    *[{"rows": [row], "context": context, **extra}[a] for a in impl.argnames]
                )
                for raised in self._checked(name, stage, found, 1):
                    out.append(
                        attrs.evolve(raised, problem=attrs.evolve(raised.problem, index=index))
                    )
            except Exception as exc:
                out.append(
                    RaisedProblem(
                        plugin=name,
                        stage=stage,
                        problem=Problem(
                            index=index,
                            code="PLUGIN_RAISED",
                            message=f"plugin {name!r} raised in {stage}:"
                            f" {type(exc).__name__}: {exc}",
                            details={"exception": type(exc).__name__},
                        ),
                    )
                )
        return out

    def validate(
        self, media_type: str, rows: list[dict[str, Any]], context: ExportContext
    ) -> list[RaisedProblem]:
        """Run the validate hooks for a batch of one media type."""
        return self._call_rows("rowport_validate_rows", "validate", rows, context, media_type)

    def transform(
        self,
        media_type: str,
        rows: list[dict[str, Any]],
        context: ExportContext,
        *,
        encoded: list[bytes] | None = None,
    ) -> list[RaisedProblem]:
        """Run the transform hooks for a batch of one media type (rows change in place).
        With ``encoded`` (an empty list) and at least one transform hook, the rows are left
        encoded there as their RESULT lines, one per row (their ``"_media_type"`` taken out),
        once the last hook is done: nothing may change them after that."""
        return self._call_rows(
            "rowport_transform_rows", "transform", rows, context, media_type, encoded=encoded
        )

    def probe(
        self,
        media_type: str,
        rows: list[dict[str, Any]],
        context: ExportContext,
        *,
        only_missing: bool,
    ) -> list[RaisedProblem]:
        """Run the media probe hooks for a batch of one media type (attributes change in
        place)."""
        return self._call_rows(
            "rowport_probe_media", "probe", rows, context, media_type, only_missing=only_missing
        )

    def has_probe(self, media_type: str) -> bool:
        """Whether any plugin probes the media of ``media_type`` rows."""
        return bool(self._impls("rowport_probe_media", media_type))

    def check_plugin_options(self, options: Mapping[str, Any]) -> list[str]:
        """Every plugin's complaints about ``plugin_options`` (``plugin: message``); a plugin
        that raises is named with what it raised."""
        messages: list[str] = []
        for impl in reversed(self.pm.hook.rowport_check_plugin_options.get_hookimpls()):
            name = self.plugin_name(impl.plugin)
            try:
                found = impl.function(options)
                messages.extend(str(m) for m in found or ())  # type: ignore[attr-defined]
            except Exception as exc:
                messages.append(f"plugin {name!r} raised checking plugin_options: {exc}")
        return messages

    # -- sinks ------------------------------------------------------------------------------

    def sink_factories(self) -> dict[str, tuple[str, Callable[..., Any]]]:
        """``{sink name: (plugin name, factory)}`` from every ``rowport_register_sinks``."""
        if self._sinks is not None:
            return self._sinks
        sinks: dict[str, tuple[str, Callable[..., Any]]] = {}
        defaults: set[str] = set()  # names registered by trylast (default) implementations
        for impl in reversed(self.pm.hook.rowport_register_sinks.get_hookimpls()):
            plugin = self.plugin_name(impl.plugin)

            def register(
                name: str,
                factory: Callable[..., Any],
                _plugin: str = plugin,
                _default: bool = impl.trylast,
            ) -> None:
                if not isinstance(name, str) or not name:
                    raise PluginLoadError(f"plugin {_plugin!r} registered a sink with no name")
                if not callable(factory):
                    raise PluginLoadError(f"plugin {_plugin!r}: sink {name!r} is not callable")
                if name in sinks:
                    if _default:
                        return  # a default (trylast) yields to a plugin that registered first
                    raise PluginLoadError(
                        f"plugin {_plugin!r} registered sink {name!r}, already registered by"
                        f" {sinks[name][0]!r}"
                    )
                sinks[name] = (_plugin, factory)
                if _default:
                    defaults.add(name)

            impl.function(register)
        self._sinks = sinks
        return sinks

    # -- formats ----------------------------------------------------------------------------

    def format_specs(self) -> dict[str, tuple[str, Any]]:
        """``{format name: (plugin name, FormatSpec)}`` from every ``rowport_register_formats``."""
        if self._formats is None:
            from rowport.formats._spec import FormatSpec

            formats: dict[str, tuple[str, Any]] = {}
            for impl in reversed(self.pm.hook.rowport_register_formats.get_hookimpls()):
                plugin = self.plugin_name(impl.plugin)

                def register(
                    spec: Any, _plugin: str = plugin, _default: bool = impl.trylast
                ) -> None:
                    if not isinstance(spec, FormatSpec):
                        raise PluginLoadError(
                            f"plugin {_plugin!r} registered {spec!r}; expected a FormatSpec"
                        )
                    if spec.name in formats:
                        if _default:
                            return
                        raise PluginLoadError(
                            f"plugin {_plugin!r} registered format {spec.name!r}, already"
                            f" registered by {formats[spec.name][0]!r}"
                        )
                    formats[spec.name] = (_plugin, spec)

                impl.function(register)
            self._formats = formats
        return self._formats

    # -- lifecycle and CLI ------------------------------------------------------------------

    def notify(self, event: str, **kwargs: Any) -> list[HookFailure]:
        """Call a lifecycle hook (``started``, ``progress``, ``part_ready``, ``completed``,
        ``failed``, ``canceled``); a listener that raises is returned, never fatal (the runner
        writes it to ERRORS)."""
        failures = []
        caller = getattr(self.pm.hook, f"rowport_export_{event}", None) or getattr(
            self.pm.hook, f"rowport_{event}"
        )
        for impl in reversed(caller.get_hookimpls()):
            try:
                impl.function(*[kwargs[a] for a in impl.argnames])
            except Exception as exc:
                failures.append(
                    HookFailure(
                        plugin=self.plugin_name(impl.plugin),
                        hook=caller.name,
                        error=f"{type(exc).__name__}: {exc}",
                    )
                )
        return failures

    def register_commands(self, cli: Any) -> None:
        """Let plugins add subcommands to the CLI group."""
        self.pm.hook.rowport_register_commands(cli=cli)

    def describe(self) -> list[PluginInfo]:
        """Every registered plugin with its source, hooks and media types."""
        out = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            source = self.sources.get(name) or PluginSource(name=name, builtin=False)
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or []))
            out.append(
                PluginInfo(
                    name=name,
                    builtin=source.builtin,
                    distribution=source.distribution,
                    version=source.version,
                    hooks=hooks,
                    media_types=self._media.get(name),
                )
            )
        return sorted(out, key=lambda p: (p.builtin, p.name))

    def plugins_for(self, media_type: str) -> Sequence[str]:
        """Names of the plugins a batch of ``media_type`` reaches, in call order."""
        seen: list[str] = []
        for hook in _ROW_HOOKS:
            for impl in self._impls(hook, media_type):
                name = self.plugin_name(impl.plugin)
                if name not in seen:
                    seen.append(name)
        return seen
