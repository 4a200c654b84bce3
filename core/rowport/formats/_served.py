"""Formats over the server: what ``GET /formats`` lists, and conversions written inside a task's
folder (``formats/NAME.zip``), never at a path a request names.

A request over the API names only a format, its options and ``strict``;
:func:`served_requests` checks them as an embedded export checks its ``formats`` (the same
messages) and gives each the output ``formats/NAME.zip``, relative to the task's folder (the
delivery resolves it there once the task exists). :func:`unpack_download` puts a downloaded
zip where a remote client asked: a ``.zip`` as is, or unpacked into a directory, staged under a
temporary name and renamed into place as an embedded conversion is.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import orjson

from rowport.errors import InvalidInput
from rowport.formats._convert import ConversionReport
from rowport.formats._output import OutputTarget
from rowport.formats._registry import build_conversion, format_spec, parse_format_requests
from rowport.formats._spec import FormatOption, FormatSpec

if TYPE_CHECKING:
    from rowport.plugins import PluginHost

__all__ = [
    "SERVED_DIR",
    "check_served_name",
    "describe_format",
    "describe_formats",
    "report_from_dict",
    "served_output",
    "served_reports",
    "served_requests",
    "unpack_download",
]

SERVED_DIR = "formats"  # inside a task's folder
_SERVED_KEYS = ("name", "options", "strict")
_TYPE_NAMES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    dict: "object",
    list: "array",
}


def _option(option: FormatOption) -> dict[str, Any]:
    return {
        "name": option.name,
        "type": _TYPE_NAMES.get(option.type, option.type.__name__),
        "default": option.default,
        "choices": list(option.choices),
        "help": option.help,
    }


def describe_format(plugin: str, spec: FormatSpec) -> dict[str, Any]:
    """A format as ``GET /formats`` and ``client.get_formats()`` give it (JSON)."""
    return {
        "name": spec.name,
        "plugin": plugin,
        "summary": spec.summary,
        "media_types": list(spec.media_types),
        "annotation_kinds": list(spec.annotation_kinds),
        "layout": list(spec.layout),
        "options": [_option(o) for o in spec.all_options],
        "requires": dict(spec.requires),
    }


def describe_formats(host: PluginHost) -> list[dict[str, Any]]:
    """Every registered format (built-in and third-party), by name."""
    return [describe_format(p, spec) for name, (p, spec) in sorted(host.format_specs().items())]


def served_output(name: str) -> str:
    """Where the server writes format ``name``, relative to the task's folder."""
    return f"{SERVED_DIR}/{name}.zip"


def _served_item(index: int, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping) or "output" in item or set(item) - set(_SERVED_KEYS):
        raise InvalidInput(
            f"formats[{index}] must be a format name or {{'name': ..., 'options': {{...}},"
            f" 'strict': bool}}: the server writes each format inside the task's folder, so a"
            f" request names no output; got {item!r}"
        )
    return dict(item)


def served_requests(host: PluginHost, value: Any) -> list[dict[str, Any]]:
    """The ``formats`` of an export started over the API, checked against ``host`` (the
    messages of an embedded export) and given outputs inside the task's folder.

    :raises InvalidInput: an unknown format or option, a bad shape, a format named twice.
    """
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise InvalidInput(f"formats must be a list, got {value!r}")
    probe = Path(tempfile.gettempdir()) / f"rowport-format-check-{os.getpid()}-absent"
    # the embedded checks, with an output that stays absent (no file is written)
    items = [
        {**_served_item(i, raw), "output": str(probe / f"{i}.zip")} for i, raw in enumerate(value)
    ]
    out = []
    for request in parse_format_requests(items):
        build_conversion(host, request)
        out.append({**request.to_dict(), "output": served_output(request.name), "overwrite": True})
    names = [item["name"] for item in out]
    if len(set(names)) != len(names):
        raise InvalidInput("formats: name each format once (each is written to formats/NAME.zip)")
    return out


def check_served_name(host: PluginHost, name: Any) -> str:
    """``name`` when it is a registered format (else the embedded message)."""
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"format must be a format's name, got {name!r}")
    format_spec(host, name)
    return name


def served_reports(task_dir: Path) -> list[dict[str, Any]]:
    """The latest report of each format the server wrote into the task's folder, with its
    output relative to that folder (no server path is shown)."""
    from rowport.formats._delivery import read_reports

    root = (task_dir / SERVED_DIR).resolve()
    latest: dict[str, dict[str, Any]] = {}
    for report in read_reports(task_dir):
        output = Path(str(report.get("output", "")))
        if output.parent.resolve() != root:
            continue
        latest[str(report["format"])] = {
            **report,
            "output": PurePosixPath(SERVED_DIR, output.name).as_posix(),
        }
    return list(latest.values())


def report_from_dict(data: Mapping[str, Any], output: str | Path) -> ConversionReport:
    """The :class:`ConversionReport` a report's JSON holds, its output set to ``output``."""
    fields = {k: v for k, v in data.items() if k != "lossless"}
    fields["output"] = str(output)
    return ConversionReport(**fields)


def unpack_download(
    fetch: Callable[[Path], None],
    output: str | Path,
    report: ConversionReport,
    *,
    overwrite: bool = False,
) -> Path:
    """Put a served zip at ``output``: ``fetch(path)`` downloads it to a temporary name beside
    the target; a ``.zip`` output is renamed into place as it came, a directory is unpacked into
    a staged directory renamed into place when complete (``lossiness.json`` names ``output``).

    :raises InvalidInput: ``output`` exists (unless ``overwrite``) or cannot be made.
    """
    target = OutputTarget(Path(output), overwrite=overwrite)
    target.check()
    target.path.parent.mkdir(parents=True, exist_ok=True)
    partial = target.path.with_name(f".{target.path.name}.download-{secrets.token_hex(4)}")
    data = orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2)
    try:
        fetch(partial)
        if target.is_zip:
            os.replace(partial, target.path)
            target.report_path.write_bytes(data)
            return target.path
        staging = target.stage()
        try:
            with zipfile.ZipFile(partial) as archive:
                root = staging.resolve()
                for member in archive.namelist():
                    if root not in (staging / member).resolve().parents:
                        raise InvalidInput(f"the download holds {member!r}, outside its folder")
                archive.extractall(staging)
            (staging / "lossiness.json").write_bytes(data)
            return target.publish()
        except BaseException:
            target.discard()
            raise
    finally:
        partial.unlink(missing_ok=True)
