"""The console's access rules over plain HTTP: no page, event stream or download answers
without a live session; sign-out and a revoked key end it; POST forms need the session's CSRF
token; one organization's tasks never reach another's key; every value is escaped."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import requests
from console_support import MARKUP, Served

from rowport.catalog import Database, KeyStore

GUARDED_PAGES = ["/console/tasks", "/console/catalog"]


def _task_paths(task_id: str) -> tuple[list[str], list[str]]:
    """(pages, everything else) of one task."""
    pages = [f"/console/tasks/{task_id}", f"/console/tasks/{task_id}/preview?line=0"]
    others = [
        "/console/events/tasks",
        f"/console/tasks/{task_id}/events",
        f"/console/tasks/{task_id}/report",
        f"/console/tasks/{task_id}/range?stream=result&start=0&end=9",
        f"/console/tasks/{task_id}/streams/result",
        f"/console/tasks/{task_id}/streams/result/content",
        f"/console/tasks/{task_id}/streams/result/parts/0",
        f"/console/tasks/{task_id}/streams/errors/events",
    ]
    return pages, others


@pytest.mark.parametrize("cookie", [None, "not-a-session"])
def test_nothing_answers_without_a_session(served: Served, cookie: str | None) -> None:
    http = requests.Session()
    if cookie:
        http.cookies.set("rowport_console", cookie)
    pages, others = _task_paths(served.ids["finished_task"])
    for path in GUARDED_PAGES + pages:
        answer = http.get(served.url + path, allow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/console/signin"
    for path in others:
        answer = http.get(served.url + path, allow_redirects=False)
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "unauthorized"
    for path in ("/console/signout", "/console/export", f"{pages[0]}/cancel"):
        assert http.post(served.url + path, data={}).status_code in (401, 303), path
    # a bearer key is not a session, and the API does not take the cookie
    bearer = served.api()
    assert bearer.get(served.url + "/console/tasks", allow_redirects=False).status_code == 303
    assert requests.get(served.url + "/api/v1/tasks").status_code == 401


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(served: Served) -> None:
    http = requests.Session()
    refused = http.post(served.url + "/console/signin", data={"token": "rpk_wrong"})
    assert refused.status_code == 401 and "unknown or was revoked" in refused.text
    answer = http.post(
        served.url + "/console/signin", data={"token": served.token}, allow_redirects=False
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert served.token not in cookie
    # a sign-in posted from another site is refused
    elsewhere = {"token": served.token}
    foreign = requests.post(
        served.url + "/console/signin", data=elsewhere, headers={"Origin": "http://evil.test"}
    )
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    session_id = http.cookies["rowport_console"]
    assert http.get(served.url + "/console/tasks").status_code == 200
    # a form without the session's CSRF token is refused, and does nothing
    assert http.post(served.url + "/console/signout", data={"csrf": "x"}).status_code == 403
    assert http.get(served.url + "/console/tasks", allow_redirects=False).status_code == 200
    csrf = served.csrf(http)
    assert http.post(served.url + "/console/signout", data={"csrf": csrf}).status_code == 200
    # the old cookie no longer signs anyone in
    stale = requests.Session()
    stale.cookies.set("rowport_console", session_id)
    assert stale.get(served.url + "/console/tasks", allow_redirects=False).status_code == 303
    events = stale.get(served.url + "/console/events/tasks", allow_redirects=False)
    assert events.status_code == 401


def test_a_revoked_key_ends_its_sessions(served: Served) -> None:
    token = served.server.create_key("short-lived")
    http = served.signed_in(token)
    db = Database(served.server.home / "catalog.db")
    try:
        keys = KeyStore(db)
        keys.revoke_key(next(k.id for k in keys.list_keys() if k.name == "short-lived"))
    finally:
        db.close()
    assert http.get(served.url + "/console/tasks", allow_redirects=False).status_code == 303


def test_a_read_only_key_cannot_export_or_cancel(served: Served) -> None:
    http = served.signed_in(served.server.create_key("reader", read_only=True))
    csrf = served.csrf(http)
    form = {"csrf": csrf, "kind": "project", "scope_id": served.ids["project"], "params": "{}"}
    answer = http.post(served.url + "/console/export", data=form)
    assert answer.status_code == 422 and "is read-only" in answer.text
    task = f"/console/tasks/{served.ids['finished_task']}/cancel"
    answer = http.post(served.url + task, data={"csrf": csrf})
    assert answer.status_code == 403 and "is read-only" in answer.text


def test_one_organization_never_sees_another_s_tasks(served: Served) -> None:
    mine = served.signed_in()
    theirs = served.signed_in(served.other_token)
    task_id = served.ids["finished_task"]
    assert task_id in mine.get(served.url + "/console/tasks").text
    listing = theirs.get(served.url + "/console/tasks").text
    assert task_id not in listing and "finished export" not in listing
    assert served.ids["project"] not in theirs.get(served.url + "/console/catalog").text
    pages, others = _task_paths(task_id)
    for path in pages:
        assert theirs.get(served.url + path).status_code == 404, path
    for path in others[1:]:
        assert theirs.get(served.url + path).status_code == 404, path
    with theirs.get(served.url + "/console/events/tasks", stream=True, timeout=30) as events:
        for line in events.iter_lines():
            if line.startswith(b"data:"):
                assert task_id.encode() not in line
                break


def test_every_value_is_escaped(served: Served) -> None:
    http = served.signed_in()
    escaped = html.escape(MARKUP, quote=False)
    pages = {
        "catalog": "/console/catalog",
        "tasks": "/console/tasks",
        "task": f"/console/tasks/{served.ids['marked_task']}",
        "preview": f"/console/tasks/{served.ids['marked_task']}/preview?line=0",
    }
    for name, path in pages.items():
        body = http.get(served.url + path).text
        assert "window.__pwned" in body, name  # the value is shown...
        assert "<script>window.__pwned" not in body, name  # ...as text only
        assert "<img src=x" not in body, name
        if name in ("catalog", "tasks"):
            assert escaped in body or html.escape(MARKUP) in body, name
    report = http.get(served.url + pages["task"] + "/report").text
    assert "<script>window.__pwned" not in report and "<img src=x" not in report
    assert re.search(r"task &lt;script&gt;window.__pwned", report)


def test_the_report_endpoint_is_in_the_openapi_document(served: Served) -> None:
    document = served.api().get(served.url + "/api/v1/openapi.json").json()
    report = document["paths"]["/api/v1/tasks/{task_id}/report"]["get"]
    assert "text/html" in report["responses"]["200"]["content"]
    answer = served.api().get(f"{served.url}/api/v1/tasks/{served.ids['flagged_task']}/report")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "TEST_EVEN" in answer.text and "uPlot" in answer.text
    other = served.api(served.other_token)
    assert (
        other.get(f"{served.url}/api/v1/tasks/{served.ids['flagged_task']}/report").status_code
        == 404
    )


def test_a_finished_task_is_re_delivered_to_a_sink(served: Served, tmp_path: Path) -> None:
    http = served.signed_in()
    task_id = served.ids["finished_task"]
    csrf = served.csrf(http, f"/console/tasks/{task_id}")
    target = tmp_path / "again.ndjson"
    form = {"csrf": csrf, "sink": "ndjson_file", "options": json.dumps({"path": str(target)})}
    answer = http.post(f"{served.url}/console/tasks/{task_id}/deliver", data=form)
    assert answer.status_code == 200, answer.text
    assert "Delivered 250 lines" in answer.text
    assert len(target.read_bytes().splitlines()) == 250
    form["options"] = "{not json"
    answer = http.post(f"{served.url}/console/tasks/{task_id}/deliver", data=form)
    assert answer.status_code == 422 and "options must be JSON" in answer.text
