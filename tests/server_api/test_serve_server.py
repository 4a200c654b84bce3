"""What only a server has: keys, organizations kept apart, request limits, error bodies,
path parameters that never become paths, the access log, and the OpenAPI document."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests

import rowport
from rowport.api import OPERATIONS
from rowport.catalog import Database, KeyStore
from rowport.client import Client
from rowport.errors import AccessDenied, NotFound
from rowport.testing import RowportServer, build_catalog, start_server

LIMIT = 4096  # bytes of a JSON body this module's server accepts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RowportServer]:
    served = start_server(tmp_path_factory.mktemp("serve") / "home", "--max-body-bytes", str(LIMIT))
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def token(server: RowportServer) -> str:
    return server.create_key("main")


def _get(server: RowportServer, path: str, token: str | None, **options: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(server.url + "/api/v1" + path, headers=headers, timeout=30, **options)


def _error(response: requests.Response) -> dict[str, Any]:
    body = orjson.loads(response.content)
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    error: dict[str, Any] = body["error"]
    return error


# -- keys -------------------------------------------------------------------------------------


def test_a_request_without_a_key_is_401(server: RowportServer) -> None:
    response = _get(server, "/datasets", None)
    assert response.status_code == 401
    assert "Authorization: Bearer" in _error(response)["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_key_is_401(server: RowportServer) -> None:
    response = _get(server, "/datasets", "rpk_not-a-key")
    assert (response.status_code, _error(response)["code"]) == (401, "unauthorized")
    with Client(server.url, api_key="rpk_not-a-key") as client, pytest.raises(AccessDenied):
        client.get_datasets()


def test_a_revoked_key_is_refused_from_its_next_request(server: RowportServer) -> None:
    token = server.create_key("to revoke")
    with Client(server.url, api_key=token) as client:
        client.get_datasets()
        db = Database(server.home / "catalog.db")
        try:
            store = KeyStore(db)
            (key,) = [k for k in store.list_keys() if k.name == "to revoke"]
            store.revoke_key(key.id)
        finally:
            db.close()
        with pytest.raises(AccessDenied, match="unknown or was revoked"):
            client.get_datasets()


def test_a_read_only_key_reads_but_cannot_create_export_or_cancel(
    server: RowportServer,
) -> None:
    writer = server.client(server.create_key("writer", organization="readers"))
    made = build_catalog(writer, rows=2)
    task = writer.get_project(made["project"]).export()
    task.wait_till_done(timeout_seconds=120)
    with server.client(
        server.create_key("reader", organization="readers", read_only=True)
    ) as reader:
        assert reader.get_dataset(made["dataset"]).row_count == 2
        assert reader.get_task(task.uid).status is rowport.TaskStatus.COMPLETE
        assert len(list(reader.get_task(task.uid).get_buffered_stream())) == 2
        for refused in (
            lambda: reader.create_dataset("x"),
            lambda: reader.get_project(made["project"]).export(),
            lambda: reader.cancel_task(task.uid),
            lambda: reader.import_rows([]),
        ):
            with pytest.raises(AccessDenied, match="read-only"):
                refused()
    assert [d.uid for d in writer.get_datasets()] == [made["dataset"]]
    writer.close()


def test_keys_are_stored_hashed_and_listed_without_secrets(server: RowportServer) -> None:
    token = server.create_key("secret holder")
    raw = (server.home / "catalog.db").read_bytes()
    wal = server.home / "catalog.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert token.encode() not in raw
    db = Database(server.home / "catalog.db")
    try:
        listed = [k.to_dict() for k in KeyStore(db).list_keys()]
    finally:
        db.close()
    assert token not in orjson.dumps(listed).decode()


# -- organizations ------------------------------------------------------------------------------


def test_another_organizations_entities_and_tasks_are_not_found(server: RowportServer) -> None:
    with (
        server.client(server.create_key("a", organization="alpha")) as alpha,
        server.client(server.create_key("b", organization="beta")) as beta,
    ):
        made = build_catalog(alpha, rows=2)
        task = alpha.get_project(made["project"]).export()
        task.wait_till_done(timeout_seconds=120)
        assert beta.get_datasets() == [] and beta.get_projects() == [] and beta.get_tasks() == []
        for call in (
            lambda: beta.get_dataset(made["dataset"]),
            lambda: beta.get_project(made["project"]),
            lambda: beta.get_data_row(made["data_rows"][0]),
            lambda: beta.get_task(task.uid),
            lambda: beta.cancel_task(task.uid),
            lambda: (
                alpha.get_project(made["project"])
                .__class__.from_record(beta, {**_project_record(alpha, made["project"])})
                .export()
            ),
        ):
            with pytest.raises(NotFound):
                call()
        assert beta.get_organization().name == "beta" != alpha.get_organization().name
        assert beta.get_data_row_ids_for_global_keys(made["global_keys"]) == {}


def _project_record(client: Client, project_id: str) -> dict[str, Any]:
    project = client.get_project(project_id)
    return {
        "id": project.uid,
        "name": project.name,
        "media_type": project.media_type,
        "ontology_id": project.ontology_id,
        "description": project.description,
        "created_at": project.created_at,
    }


def test_an_organization_name_that_is_not_a_folder_name_is_refused(
    server: RowportServer,
) -> None:
    with pytest.raises(rowport.errors.InvalidInput, match="organization name"):
        server.create_key("x", organization="../escape")
    assert not (server.home.parent / "escape").exists()


# -- limits and error bodies ------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(server: RowportServer, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = orjson.dumps({"name": "x" * LIMIT})
    response = requests.post(
        server.url + "/api/v1/datasets", data=body, headers=headers, timeout=30
    )
    assert (response.status_code, _error(response)["code"]) == (413, "payload_too_large")
    chunked = requests.post(
        server.url + "/api/v1/datasets", data=iter([body]), headers=headers, timeout=30
    )
    assert chunked.status_code == 413
    with server.client(token) as client:
        assert [d.name for d in client.get_datasets()] == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"{bad", "not valid JSON: unexpected character"), (b"[1, 2]", "must be a JSON object")],
)
def test_a_malformed_body_is_400_with_the_reason(
    server: RowportServer, token: str, body: bytes, reason: str
) -> None:
    response = requests.post(
        server.url + "/api/v1/datasets",
        data=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 400
    assert reason in _error(response)["message"]


def test_an_unknown_field_is_400_naming_it(server: RowportServer, token: str) -> None:
    response = requests.post(
        server.url + "/api/v1/datasets",
        json={"nmae": "d"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 400
    assert "'nmae'" in _error(response)["message"]


def test_an_unknown_route_is_a_json_404(server: RowportServer, token: str) -> None:
    response = _get(server, "/no/such/route", token)
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"
    wrong_method = requests.delete(
        server.url + "/api/v1/datasets", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert wrong_method.status_code == 405
    assert _error(wrong_method)["code"] == "method_not_allowed"


TRAVERSALS = ["..", "..%2F..%2Fcatalog.db", "%2e%2e", "..%5C..%5Ccatalog.db", "a%00b"]


@pytest.mark.parametrize("value", TRAVERSALS)
def test_no_id_parameter_reaches_outside_its_catalog(
    server: RowportServer, token: str, value: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for op in OPERATIONS:
        names = op.path_params()
        if not names:
            continue
        path = op.path
        for name in names:
            path = path.replace("{" + name + "}", value)
        response = requests.request(
            op.method, server.url + "/api/v1" + path, headers=headers, json={}, timeout=30
        )
        if urllib.parse.urlsplit(response.url).path != "/api/v1" + path:
            continue  # the client resolved ".." (/tasks/../formats is GET /formats): not an id
        if response.status_code == 200:  # a listing under an unknown id is empty
            assert orjson.loads(response.content) in ([], {}), (op.name, response.text)
            continue
        assert response.status_code in (400, 404, 422), (op.name, response.text)
        _error(response)
    assert (server.home / "catalog.db").exists()


# -- the access log -------------------------------------------------------------------------


def test_each_request_logs_one_line_with_the_key_id_never_the_key(
    server: RowportServer,
) -> None:
    token = server.create_key("logged")
    _get(server, "/datasets", token)
    db = Database(server.home / "catalog.db")
    try:
        (key,) = [k for k in KeyStore(db).list_keys() if k.name == "logged"]
    finally:
        db.close()
    # the line is written once the response is sent, so it may follow the client's read of it
    deadline = time.monotonic() + 60  # a safety net only: the line says when
    while True:
        text = server.log.read_text()
        lines = [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]
        mine = [line for line in lines if line["key"] == key.id]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert token not in text
    assert len(mine) == 1
    assert mine[0]["method"] == "GET" and mine[0]["status"] == 200
    assert mine[0]["path"] == "/api/v1/datasets" and mine[0]["bytes"] == 2
    assert isinstance(mine[0]["ms"], float)


# -- the OpenAPI document -------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_lists_exactly_the_routes(
    server: RowportServer, token: str
) -> None:
    from openapi_spec_validator import validate
    from starlette.routing import Mount, Route

    from rowport.server import ServerSettings, create_app
    from rowport.server.graphql import GRAPHQL_PATH

    document = orjson.loads(_get(server, "/openapi.json", token).content)
    validate(document)
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    app = create_app(ServerSettings(home=server.home), plugins=None)
    routed = set()
    for mount in app.routes:
        if isinstance(mount, Route) and mount.path.startswith(GRAPHQL_PATH):
            continue  # the reference SDK's protocol (docs/labelbox-sdk.md), not this API's
        if isinstance(mount, Route) and (
            mount.path in ("/", "/console") or mount.path.startswith("/console/")
        ):
            continue  # the web console's pages (docs/console.md), not this API's
        assert isinstance(mount, Mount)
        for route in mount.routes:
            assert isinstance(route, Route)
            routed |= {(method, mount.path + route.path) for method in route.methods or ()}
    # Starlette answers HEAD on every GET route; the document lists HEAD where it matters
    assert {r for r in documented if r[0] != "HEAD"} == {r for r in routed if r[0] != "HEAD"}
    assert {r for r in documented if r[0] == "HEAD"} <= routed
