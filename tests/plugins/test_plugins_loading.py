"""Loading plugins: entry points, built-ins, blocking, autoload, strict mode, check_pending."""

from __future__ import annotations

import pytest

from rowport import hookimpl
from rowport.errors import PluginLoadError
from rowport.plugins import PluginHost, get_plugin_manager, load

GOOD = """
from rowport import hookimpl

@hookimpl
def rowport_declare_media_types():
    return ["image"]

@hookimpl
def rowport_validate_rows(rows, context):
    return None
"""


def test_entry_point_plugin_is_registered_with_its_distribution(fake_distribution):
    fake_distribution("acme-rowport", "acme", "acme_rowport_plugin", GOOD)
    host = PluginHost.load(builtins=False, autoload=True, block=())
    info = {p.name: p for p in host.describe()}
    assert info["acme"].distribution == "acme-rowport"
    assert info["acme"].version == "1.2.3"
    assert info["acme"].builtin is False
    assert info["acme"].media_types == ("image",)
    assert "rowport_validate_rows" in info["acme"].hooks


def test_broken_plugin_is_named_and_skipped(fake_distribution):
    fake_distribution("broken-dist", "broken", "broken_rowport_plugin", "raise ImportError('nope')")
    with pytest.warns(RuntimeWarning, match="broken") as caught:
        loaded = load(builtins=False, autoload=True, block=(), strict=False)
    message = str(caught[0].message)
    assert "broken-dist" in message and "broken_rowport_plugin" in message and "nope" in message
    assert "broken" not in dict(loaded.pm.list_name_plugin())
    assert [str(e) for e in loaded.load_errors] == [message]


def test_strict_mode_makes_a_broken_plugin_fatal(fake_distribution, monkeypatch):
    fake_distribution("broken-dist", "broken", "broken_rowport_plugin", "1/0")
    monkeypatch.setenv("ROWPORT_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match=r"broken-dist.*ZeroDivisionError"):
        load(builtins=False, autoload=True, block=())


def test_block_env_skips_a_plugin(fake_distribution, monkeypatch):
    fake_distribution("acme-rowport", "acme", "acme_rowport_plugin", GOOD)
    monkeypatch.setenv("ROWPORT_BLOCK_PLUGINS", "acme, other")
    loaded = load(builtins=False, autoload=True)
    assert dict(loaded.pm.list_name_plugin()).get("acme") is None
    assert loaded.pm.is_blocked("acme")


def test_block_applies_to_builtins_by_module_name():
    loaded = load(builtins=True, autoload=False, block=["rowport_plugins.sinks"])
    assert dict(loaded.pm.list_name_plugin()).get("rowport_plugins.sinks") is None
    assert loaded.pm.is_blocked("rowport_plugins.sinks")


def test_disable_autoload_env_skips_entry_points(fake_distribution, monkeypatch):
    fake_distribution("acme-rowport", "acme", "acme_rowport_plugin", GOOD)
    monkeypatch.setenv("ROWPORT_DISABLE_PLUGIN_AUTOLOAD", "1")
    loaded = load(builtins=False, block=())
    assert dict(loaded.pm.list_name_plugin()).get("acme") is None


def test_builtins_are_registered_after_third_party(fake_distribution):
    fake_distribution("acme-rowport", "acme", "acme_rowport_plugin", GOOD)
    names = [n for n, _ in load(autoload=True, block=()).pm.list_name_plugin()]
    assert names.index("acme") < names.index("rowport_plugins.sinks")


def test_misspelled_hook_is_caught_by_check_pending(fake_distribution):
    fake_distribution(
        "typo-dist",
        "typo",
        "typo_rowport_plugin",
        "from rowport import hookimpl\n"
        "@hookimpl\n"
        "def rowport_validate_row(rows, context):\n"
        "    pass\n",
    )
    with pytest.raises(PluginLoadError, match="rowport_validate_row"):
        load(builtins=False, autoload=True, block=())


def test_each_call_returns_a_fresh_manager():
    assert get_plugin_manager(autoload=False) is not get_plugin_manager(autoload=False)


def test_a_bad_media_type_declaration_names_the_plugin(make_host):
    class Bad:
        @hookimpl
        def rowport_declare_media_types(self):
            return ["hologram"]

    with pytest.raises(PluginLoadError, match="hologram"):
        make_host(Bad())


def test_hookimpl_is_reexported_from_rowport():
    import rowport
    from rowport.hookspecs import hookimpl as original

    assert rowport.hookimpl is original
