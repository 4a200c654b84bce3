"""Finding formats among the plugins, reading the ``formats`` an export names, and the
ontology lookup conversions use."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from rowport.errors import InvalidInput
from rowport.formats._convert import Conversion, OntologyLookup
from rowport.formats._spec import FormatSpec

if TYPE_CHECKING:
    from rowport.catalog import Catalog
    from rowport.plugins import PluginHost

__all__ = [
    "FormatRequest",
    "build_conversion",
    "format_spec",
    "ontology_lookup",
    "parse_format_requests",
]

_KEYS = ("name", "output", "options", "strict", "overwrite")


@attrs.frozen(kw_only=True)
class FormatRequest:
    """One format an export (or ``convert``) writes: its name, output path and options."""

    name: str
    output: str
    options: Mapping[str, Any] = attrs.field(factory=dict)
    strict: bool = False
    overwrite: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form kept with the task's request."""
        return {
            "name": self.name,
            "output": self.output,
            "options": dict(self.options),
            "strict": self.strict,
            "overwrite": self.overwrite,
        }


def _shape_error(index: int, item: Any) -> InvalidInput:
    return InvalidInput(
        f"formats[{index}] must be {{'name': ..., 'output': ..., 'options': {{...}},"
        f" 'strict': bool, 'overwrite': bool}} or (name, output); got {item!r}"
    )


def parse_format_requests(value: Any) -> list[FormatRequest]:
    """Read an export's ``formats``: dicts, ``(name, output)`` pairs or
    :class:`FormatRequest` objects.

    :raises InvalidInput: naming the item and the shapes allowed.
    """
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise InvalidInput(f"formats must be a list, got {value!r}")
    out = []
    for index, item in enumerate(value):
        if isinstance(item, FormatRequest):
            out.append(item)
            continue
        if isinstance(item, (tuple, list)) and len(item) == 2:
            item = {"name": item[0], "output": item[1]}
        if not isinstance(item, Mapping) or set(item) - set(_KEYS):
            raise _shape_error(index, item)
        name, output = item.get("name"), item.get("output")
        if not isinstance(name, str) or not name:
            raise _shape_error(index, item)
        if not isinstance(output, (str, os.PathLike)) or not os.fspath(output):
            raise InvalidInput(f"formats[{index}] ({name!r}) needs an output path, got {output!r}")
        options = item.get("options") or {}
        if not isinstance(options, Mapping):
            raise InvalidInput(f"formats[{index}] ({name!r}): options must be a dict")
        flags = {k: item.get(k, False) for k in ("strict", "overwrite")}
        for key, flag in flags.items():
            if not isinstance(flag, bool):
                raise InvalidInput(
                    f"formats[{index}] ({name!r}): {key} must be true or false, got {flag!r}"
                )
        out.append(
            FormatRequest(
                name=name,
                output=str(Path(os.fspath(output)).expanduser().absolute()),
                options=dict(options),
                **flags,
            )
        )
    return out


def format_spec(host: PluginHost, name: str) -> FormatSpec:
    """The registered format ``name``.

    :raises InvalidInput: listing the registered formats.
    """
    specs = host.format_specs()
    if name not in specs:
        known = ", ".join(sorted(specs)) or "none"
        raise InvalidInput(f"no format is registered as {name!r}; registered formats: {known}")
    spec: FormatSpec = specs[name][1]
    return spec


def ontology_lookup(catalog: Catalog | None) -> OntologyLookup:
    """Project or model run id -> its ontology, read from ``catalog`` (None without one)."""
    if catalog is None:
        return lambda _id: None

    def lookup(source_id: str) -> Mapping[str, Any] | None:
        try:
            ontology_id = catalog.projects.get_project(source_id)["ontology_id"]
        except LookupError:
            run = catalog.models.get_model_run(source_id)
            ontology_id = catalog.models.get_model(run["model_id"])["ontology_id"]
        return None if ontology_id is None else catalog.ontologies.get_ontology(ontology_id)

    return lookup


def build_conversion(
    host: PluginHost, request: FormatRequest, catalog: Catalog | None = None
) -> Conversion:
    """A checked :class:`Conversion` for ``request`` (no files written yet).

    :raises InvalidInput: an unknown format, a bad option, a missing extra or an unusable
        output path.
    """
    return Conversion.build(
        format_spec(host, request.name),
        request.output,
        request.options,
        strict=request.strict,
        overwrite=request.overwrite,
        ontology_of=ontology_lookup(catalog),
    )
