"""What a format declares: its name, what it carries, its file layout and its options.

A plugin registers :class:`FormatSpec` objects with ``rowport_register_formats(register)``.
Options are declared as :class:`FormatOption` values, so one check (:meth:`FormatSpec.resolve`)
names the bad option and what it allows for every format alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from rowport.errors import InvalidInput

if TYPE_CHECKING:
    from rowport.formats._context import FormatContext

__all__ = ["COMMON_OPTIONS", "FormatOption", "FormatSpec", "FormatWriter"]

_KIND_NAMES: dict[type, str] = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    dict: "a JSON object",
    list: "a JSON list",
}


class FormatWriter(Protocol):
    """Writes one conversion: rows arrive in batches, in stream order; ``finish`` completes the
    files (stitches arrays, writes indexes). It writes only under ``context.directory``."""

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Take a batch of export rows (dicts in the export format)."""

    def finish(self) -> None:
        """Every row was written: complete the files."""


@attrs.frozen(kw_only=True)
class FormatOption:
    """One option of a format: its name, type, default, allowed values and help text."""

    name: str
    help: str
    type: type = str
    default: Any = None
    choices: tuple[Any, ...] = ()
    validator: Callable[[str, Any], None] | None = None  # (format name, value); raises

    def check(self, format_name: str, value: Any) -> Any:
        """The value, checked; :class:`InvalidInput` names the format, option and what it
        allows."""
        if value is None:
            return self.default
        wanted = float if self.type is float else self.type
        ok = isinstance(value, (int, float) if wanted is float else wanted) and not (
            wanted is not bool and isinstance(value, bool)
        )
        if not ok:
            raise InvalidInput(
                f"format {format_name!r}: option {self.name!r} must be"
                f" {_KIND_NAMES.get(self.type, self.type.__name__)}, got {value!r}"
            )
        if self.choices and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise InvalidInput(
                f"format {format_name!r}: option {self.name!r} must be one of {allowed},"
                f" got {value!r}"
            )
        if self.validator is not None:
            self.validator(format_name, value)
        return value


COMMON_OPTIONS: tuple[FormatOption, ...] = (
    FormatOption(
        name="project",
        help="Whose labels to convert: a project id or a model run id (default: the row's only"
        " project or run; with several, the first, and the others count as a loss).",
    ),
    FormatOption(
        name="include_unlabeled",
        type=bool,
        default=False,
        help="Write rows without labels too (empty annotations); by default they are skipped"
        " and counted as `row_unlabeled_skipped`.",
    ),
)


@attrs.frozen(kw_only=True)
class FormatSpec:
    """A training format.

    :ivar name: what users type (``--format coco``); lower case.
    :ivar summary: one line for ``rowport plugins`` and the docs.
    :ivar media_types: the media types it carries; rows of others are skipped as a loss.
    :ivar annotation_kinds: the annotation kinds it carries (``ImageBoundingBox``...).
    :ivar layout: the files it writes, one line each (``annotations/instances.json``...).
    :ivar options: its own options (``project`` and ``include_unlabeled`` are every format's).
    :ivar writer: ``writer(context)`` returns the :class:`FormatWriter` of one conversion.
    :ivar requires: the Python modules it needs beyond rowport's, with the pip extra to get them
        (``{"spacy": "rowport[spacy]"}``); checked before a conversion starts.
    """

    name: str
    summary: str
    media_types: tuple[str, ...]
    annotation_kinds: tuple[str, ...]
    layout: tuple[str, ...]
    writer: Callable[[FormatContext], FormatWriter]
    options: tuple[FormatOption, ...] = ()
    requires: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def all_options(self) -> tuple[FormatOption, ...]:
        """The common options, then the format's own."""
        return COMMON_OPTIONS + self.options

    def resolve(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Every option with its checked value or default.

        :raises InvalidInput: an unknown option (listing the format's options) or a bad value.
        """
        given = dict(given or {})
        declared = {o.name: o for o in self.all_options}
        unknown = [k for k in given if k not in declared]
        if unknown:
            raise InvalidInput(
                f"format {self.name!r} has no option {unknown[0]!r}; its options:"
                f" {', '.join(declared)}"
            )
        return {name: o.check(self.name, given.get(name)) for name, o in declared.items()}

    def check_requirements(self) -> None:
        """Raise :class:`InvalidInput` naming the extra to install when a module is missing."""
        import importlib.util

        for module, extra in self.requires.items():
            if importlib.util.find_spec(module) is None:
                raise InvalidInput(f"format {self.name!r} needs {module!r}: pip install '{extra}'")
