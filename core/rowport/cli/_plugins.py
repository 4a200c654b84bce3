"""``rowport plugins``: every plugin with its version, source, hooks and media types."""

from __future__ import annotations

import click
import orjson

from rowport.plugins import PluginHost

__all__ = ["plugins"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per plugin.")
def plugins(as_json: bool) -> None:
    """List installed plugins: built-ins and packages using the ``rowport`` entry point."""
    host = PluginHost.load()
    infos = host.describe()
    formats: dict[str, list[str]] = {}
    for name, (plugin, _spec) in sorted(host.format_specs().items()):
        formats.setdefault(plugin, []).append(name)
    if as_json:
        for info in infos:
            click.echo(
                orjson.dumps(
                    {
                        "name": info.name,
                        "source": "built-in" if info.builtin else info.distribution,
                        "version": info.version,
                        "hooks": list(info.hooks),
                        "media_types": list(info.media_types) if info.media_types else None,
                        "formats": formats.get(info.name, []),
                    }
                ).decode()
            )
    else:
        for info in infos:
            source = "built-in" if info.builtin else f"{info.distribution} {info.version or ''}"
            media = ", ".join(info.media_types) if info.media_types else "all media types"
            click.echo(f"{info.name}  ({source.strip()})  [{media}]")
            for hook in info.hooks:
                click.echo(f"    {hook}")
            if info.name in formats:
                click.echo(f"    formats: {', '.join(formats[info.name])}")
    for error in host.load_errors:
        click.echo(f"warning: {error}", err=True)
