"""The organizations a server acts for: one embedded client each, opened on first use.

Each organization's catalog and tasks live in its own home (:mod:`rowport._organizations`), so
a key of one organization cannot reach another's entities or tasks: they are not in the
catalog its requests are served from. Every client shares the server's plugins.
"""

from __future__ import annotations

import threading

from rowport._organizations import DEFAULT_ORGANIZATION, organization_home
from rowport.client import Client
from rowport.plugins import PluginHost
from rowport.server._settings import ServerSettings
from rowport.tasks._resume import ResumeReport

__all__ = ["Organizations"]


class Organizations:
    """The embedded clients of the organizations keys act for, by organization name."""

    def __init__(self, settings: ServerSettings, plugins: PluginHost) -> None:
        self.settings = settings
        self.plugins = plugins
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()
        self._closed = False

    def client(self, organization: str) -> Client:
        """The embedded client of ``organization`` (its catalog created on first use)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            client = self._clients.get(organization)
            if client is None:
                client = Client(
                    organization_home(self.settings.home, organization),
                    organization_name=organization or None,
                    max_workers=self.settings.export_workers,
                    plugins=self.plugins,
                )
                self._clients[organization] = client
            return client

    def resume_interrupted(self) -> dict[str, ResumeReport]:
        """Resume, in every organization of the home, the exports a stopped or killed server
        left interrupted (``rowport serve --resume``); each organization's report."""
        names = [DEFAULT_ORGANIZATION]
        orgs = self.settings.home / "orgs"
        if orgs.is_dir():
            names += sorted(p.parent.name for p in orgs.glob("*/catalog.db"))
        reports = {}
        for name in names:
            client = self.client(name)
            reports[name] = client.resume_interrupted()
        return reports

    def close(self) -> None:
        """Interrupt running exports (each ends after its current batch, CANCELED and left
        for ``rowport serve --resume`` to continue), wait for them, close."""
        with self._lock:
            self._closed = True
            clients = list(self._clients.values())
        for client in clients:
            client.close(interrupt_running=True)
