"""Row hooks reach only the plugins of the batch's media type, in pluggy's order."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from rowport import hookimpl
from rowport.media_types import MediaType


def Recorder(name: str, media: list[str] | None, log: list[tuple[str, str]]) -> Any:
    """A plugin object that logs which batches it sees."""

    @hookimpl
    def rowport_transform_rows(rows, context):
        log.append((name, rows[0]["_media_type"]))

    plugin = SimpleNamespace(rowport_transform_rows=rowport_transform_rows)
    if media is not None:

        @hookimpl
        def rowport_declare_media_types():
            return media

        plugin.rowport_declare_media_types = rowport_declare_media_types
    return plugin


def test_batches_reach_only_plugins_of_their_media_type(make_host, ctx):
    log: list[tuple[str, str]] = []
    host = make_host(
        Recorder("img", ["image"], log), Recorder("txt", ["text"], log), Recorder("any", None, log)
    )
    host.transform("image", [{"_media_type": "image", "data_row": {"id": "a"}}], ctx)
    host.transform("text", [{"_media_type": "text", "data_row": {"id": "b"}}], ctx)
    assert sorted(log) == sorted(
        [("img", "image"), ("any", "image"), ("txt", "text"), ("any", "text")]
    )


def test_eight_media_plugins_cost_one_call_per_batch(make_host):
    log: list[tuple[str, str]] = []
    host = make_host(*(Recorder(m.value, [m.value], log) for m in MediaType))
    for media in MediaType:
        assert host.plugins_for(media.value) and len(host.plugins_for(media.value)) == 1
        assert host.row_hook_count(media.value) == 1


def test_user_plugin_runs_before_a_trylast_default(make_host, ctx):
    order: list[str] = []

    class Default:
        @hookimpl(trylast=True)
        def rowport_transform_rows(self, rows):
            order.append("default")

    class User:
        @hookimpl
        def rowport_transform_rows(self, rows):
            order.append("user")

    host = make_host(User(), Default())
    host.transform("image", [{"_media_type": "image", "data_row": {"id": "a"}}], ctx)
    assert order == ["user", "default"]


def test_user_sink_overrides_a_default_sink_of_the_same_name(make_host):
    class Default:
        @hookimpl(trylast=True)
        def rowport_register_sinks(self, register):
            register("stdout", lambda: "default")

    class User:
        @hookimpl
        def rowport_register_sinks(self, register):
            register("stdout", lambda: "user")

    host = make_host(Default(), User())
    plugin, factory = host.sink_factories()["stdout"]
    assert (plugin, factory()) == ("User", "user")
