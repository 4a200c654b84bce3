"""The client answers the reference SDK's calls: ``api_key``, tasks, slices, organization, user."""

from __future__ import annotations

from pathlib import Path

import pytest

import rowport
from rowport import Organization, ResourceNotFoundError, User
from rowport.client import Client
from rowport.errors import InvalidInput, NotFound


def test_resource_not_found_error_is_the_not_found_error() -> None:
    assert ResourceNotFoundError is NotFound
    assert rowport.ResourceNotFoundError is rowport.NotFound
    assert issubclass(ResourceNotFoundError, LookupError)


def test_client_accepts_an_api_key_and_keeps_it_out_of_repr(tmp_path: Path) -> None:
    with rowport.Client(tmp_path / "home", api_key="lb-secret-key") as client:
        assert client.get_datasets() == []
        assert "lb-secret-key" not in repr(client)


def test_client_accepts_an_api_key_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROWPORT_HOME", str(tmp_path / "env-home"))
    with rowport.Client(api_key="lb-secret-key") as client:
        assert client.home == tmp_path / "env-home"


def test_an_api_key_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="api_key must be a string, got int"):
        rowport.Client(tmp_path / "home", api_key=123)  # type: ignore[arg-type]


def test_get_task_by_id_is_get_task(client: Client, project: rowport.Project) -> None:
    task = project.export()
    task.wait_till_done(timeout_seconds=60)
    found = client.get_task_by_id(task.uid)
    assert found.uid == task.uid and found.status == "COMPLETE"


def test_get_task_by_id_of_an_unknown_task_raises_resource_not_found(client: Client) -> None:
    with pytest.raises(ResourceNotFoundError, match="task not found: 'cnosuchtask'"):
        client.get_task_by_id("cnosuchtask")


def test_get_catalog_slice_by_id_or_by_name(client: Client) -> None:
    first = client.create_slice("night", {"media_types": ["image"]})
    other = client.create_slice("day", {"media_types": ["text"]})
    assert client.get_catalog_slice(first.uid) == first
    assert client.get_catalog_slice(slice_name="day") == other
    twin = client.create_slice("night", {"media_types": ["video"]})
    assert client.get_catalog_slice(slice_name="night") == [first, twin]


@pytest.mark.parametrize("kwargs", [{}, {"slice_id": "x", "slice_name": "y"}])
def test_get_catalog_slice_takes_exactly_one_of_id_and_name(
    client: Client, kwargs: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="exactly one of slice_id and slice_name"):
        client.get_catalog_slice(**kwargs)


@pytest.mark.parametrize("kwargs", [{"slice_id": "cnosuchslice"}, {"slice_name": "nobody"}])
def test_get_catalog_slice_of_an_unknown_slice_raises_resource_not_found(
    client: Client, kwargs: dict[str, str]
) -> None:
    with pytest.raises(ResourceNotFoundError, match="slice not found"):
        client.get_catalog_slice(**kwargs)


def test_get_organization_is_the_catalogs_organization(client: Client) -> None:
    organization = client.get_organization()
    assert isinstance(organization, Organization)
    assert organization.uid == client.catalog.organization_id
    assert organization.name and organization.created_at
    assert client.get_user() in organization.users()


def test_get_user_is_the_acting_user(tmp_path: Path) -> None:
    with rowport.Client(tmp_path / "home", user_email="ann@example.com") as client:
        user = client.get_user()
        assert isinstance(user, User)
        assert user.email == "ann@example.com"
        assert user.organization_id == client.get_organization().uid
        dataset = client.create_dataset("mine")
        (row,) = dataset.create_data_rows(["https://example.com/a.jpg"])
        assert client.catalog.rows.get_data_row(row.uid)["created_by"] == user.email
