"""The client: where its home is, what it opens, and how it closes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rowport.catalog import Catalog
from rowport.client import Client
from rowport.errors import InvalidExportRequest, InvalidInput


@pytest.mark.sqlite_only
def test_client_opens_catalog_db_under_home(tmp_path: Path) -> None:
    with Client(home=tmp_path) as client:
        assert client.home == tmp_path
        assert isinstance(client.catalog, Catalog)
        assert (tmp_path / "catalog.db").is_file()


def test_client_home_accepts_a_string(tmp_path: Path) -> None:
    with Client(str(tmp_path / "h")) as client:
        assert client.home == tmp_path / "h"


def test_client_home_defaults_to_rowport_home_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROWPORT_HOME", str(tmp_path / "env-home"))
    with Client() as client:
        assert client.home == tmp_path / "env-home"


@pytest.mark.sqlite_only
def test_client_home_defaults_to_dot_rowport_in_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROWPORT_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    with Client() as client:
        assert client.home == tmp_path / ".rowport"
        assert (tmp_path / ".rowport" / "catalog.db").is_file()


def test_client_records_user_email_as_creator(tmp_path: Path) -> None:
    with Client(tmp_path, user_email="ann@example.com") as client:
        assert client.create_dataset("d").created_by == "ann@example.com"


def test_client_keeps_timezone(tmp_path: Path) -> None:
    with Client(tmp_path, timezone="Europe/Paris") as client:
        assert client.timezone == "Europe/Paris"


def test_client_rejects_unknown_timezone(tmp_path: Path) -> None:
    with pytest.raises(InvalidExportRequest, match="unknown timezone 'Mars/Olympus'"):
        Client(tmp_path, timezone="Mars/Olympus")


def test_client_rejects_non_positive_max_workers(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="max_workers"):
        Client(tmp_path, max_workers=0)


def test_context_manager_closes_the_catalog(tmp_path: Path) -> None:
    with Client(tmp_path) as client:
        conn = client.catalog.db.conn
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")


def test_close_twice_is_harmless(tmp_path: Path) -> None:
    client = Client(tmp_path)
    client.close()
    client.close()


def test_catalog_survives_reopening(tmp_path: Path) -> None:
    with Client(tmp_path) as first:
        dataset_id = first.create_dataset("kept").uid
    with Client(tmp_path) as second:
        assert second.get_dataset(dataset_id).name == "kept"


def test_handles_are_equal_by_id_and_hashable(client: Client) -> None:
    created = client.create_dataset("d")
    again = client.get_dataset(created.uid)
    assert created == again
    assert len({created, again}) == 1


def test_handle_repr_is_short(client: Client) -> None:
    dataset = client.create_dataset("street")
    assert repr(dataset) == f"<Dataset {dataset.uid} 'street'>"
    assert "client" not in repr(dataset)
