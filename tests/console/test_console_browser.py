"""The console in real headless Chromium (Debian's, driven by Playwright): sign in with the
keyboard, watch a gated export advance without a reload, cancel it, read a task's error groups,
page the preview, get the export form's message for a bad filter, sign out; the report opened
with no network; markup in names, filters and rows never runs; a 375 px wide window. Every test
checks that no request went to another host. Screenshots go to a temporary folder (and, with
``ROWPORT_CONSOLE_SCREENSHOTS=docs/media``, the two in docs/console.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_support import MARKUP, Served, outside_requests, save_shot, sign_in

EXPECT_TIMEOUT = 60_000  # ms; a safety net only: each wait ends on what the page shows


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    made = browser.new_context(viewport={"width": 1100, "height": 900})
    made.set_default_timeout(EXPECT_TIMEOUT)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def page(context: Any, served: Served) -> Iterator[Any]:
    """A page whose every request URL is logged; none may leave the server."""
    opened = context.new_page()
    urls: list[str] = []
    opened.on("request", lambda request: urls.append(request.url))
    opened.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    yield opened
    assert urls and not outside_requests(urls, served), outside_requests(urls, served)


def _expect() -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT)
    return expect


def _focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "() => ({id: document.activeElement.id, tag: document.activeElement.tagName,"
            " href: document.activeElement.getAttribute('href') || '',"
            " text: document.activeElement.textContent.trim()})"
        )
    )


def _tab_to(page: Any, wanted: Any, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if wanted(_focused(page)):
            return
    pytest.fail(f"Tab never reached the element; last focused: {_focused(page)}")


def test_a_running_export_advances_live_and_cancels(page: Any, served: Served, shots: Path) -> None:
    expect = _expect()
    started = served.api().post(
        f"{served.url}/api/v1/exports",
        json={"kind": "project", "scope_ids": [served.ids["project"]], "task_name": "gated export"},
    )
    assert started.status_code == 200, started.text
    task_id = started.json()["id"]
    served.wait_entered(0)  # the first batch is held: nothing is done yet

    # sign in with the keyboard only
    page.goto(f"{served.url}/")
    assert page.url == f"{served.url}/console/signin"
    save_shot(page, shots, "signin")
    page.keyboard.press("Tab")  # the skip link comes first...
    _tab_to(page, lambda f: f["id"] == "token")
    page.keyboard.type(served.token)
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Sign in"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served.url}/console/tasks")

    row = page.locator(f'tr[data-task="{task_id}"]')
    expect(row.locator('[data-field="status"]')).to_have_text("IN_PROGRESS")
    expect(row.locator('[data-field="rows"]')).to_have_text(re.compile(r"^0\b"))
    served.release(0)
    served.wait_entered(1)  # batch 0 is written and its progress recorded
    expect(row.locator('[data-field="rows"]')).to_have_text(re.compile(r"^100\b"))
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    save_shot(page, shots, "tasks", docs=True)

    # to the task's page with the keyboard
    _tab_to(page, lambda f: f["href"] == f"/console/tasks/{task_id}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served.url}/console/tasks/{task_id}")
    expect(page.locator("#task-status")).to_have_text("IN_PROGRESS")
    expect(page.locator("#task-rows")).to_have_text(re.compile(r"^100\b"))
    expect(page.locator("#plot canvas").first).to_be_visible()
    save_shot(page, shots, "task-running", docs=True)

    page.click("#cancel")
    page.wait_for_url(re.compile(r".*\?notice=cancel$"))
    expect(page.locator(".notice")).to_contain_text("Cancel asked")
    served.release(1)  # the batch it is in ends, then the export stops
    expect(page.locator("#task-status")).to_have_text("CANCELED")
    expect(page.locator("#task-rows")).to_have_text(re.compile(r"^200\b"))
    expect(page.locator("#cancel")).to_have_count(0)
    save_shot(page, shots, "task-canceled")

    page.click("text=Sign out")
    page.wait_for_url(f"{served.url}/console/signin")
    page.goto(f"{served.url}/console/tasks/{task_id}")
    assert page.url == f"{served.url}/console/signin"


def test_a_task_with_errors_shows_its_groups_and_pages_its_preview(
    page: Any, served: Served, shots: Path
) -> None:
    expect = _expect()
    sign_in(page, served)
    task_id = served.ids["flagged_task"]
    page.goto(f"{served.url}/console/tasks/{task_id}")
    groups = page.locator("#error-groups tr.error-group")
    expect(groups).to_have_count(2)
    texts = sorted(groups.all_inner_texts())
    assert texts[0].split("\t")[:4] == ["TEST_EVEN", "console_gate", "image", "15"]
    assert texts[1].split("\t")[:4] == ["TEST_ODD", "console_gate", "image", "15"]
    groups.first.locator("summary").click()
    expect(groups.first.locator("pre").first).to_contain_text('"code": "TEST_')
    save_shot(page, shots, "task-errors")

    page.select_option("#pv-stream", "errors")
    page.fill("#pv-line", "5")
    page.click("text=Show")
    expect(page.locator("h1")).to_contain_text("ERRORS from line 5")
    expect(page.locator("ol.preview > li")).to_have_count(10)
    expect(page.locator("ol.preview > li").first).to_have_attribute("value", "5")
    page.click("#next")
    expect(page.locator("h1")).to_contain_text("ERRORS from line 15")
    expect(page.locator("ol.preview > li").first).to_contain_text('"message": "flagged')
    save_shot(page, shots, "preview")


def test_the_export_form_answers_a_bad_filter_with_the_api_s_message(
    page: Any, served: Served, shots: Path
) -> None:
    expect = _expect()
    bad = {"workflow_status": "Sleeping"}
    api = served.api().post(
        f"{served.url}/api/v1/exports",
        json={"kind": "project", "scope_ids": [served.ids["project"]], "filters": bad},
    )
    assert api.status_code == 422
    message = api.json()["error"]["message"]
    sign_in(page, served)
    page.click("text=Catalog")
    form = page.locator(f'form:has(input[name="scope_id"][value="{served.ids["project"]}"])')
    form.locator("xpath=..").locator("summary").click()
    form.locator("textarea[name=filters]").fill(json.dumps(bad))
    form.locator("button").click()
    alert = page.locator(".message")
    expect(alert).to_have_text(message)
    save_shot(page, shots, "catalog-refused")
    # fixed, the same form starts the export and opens its page
    form = page.locator(f'form:has(input[name="scope_id"][value="{served.ids["project"]}"])')
    form.locator("textarea[name=filters]").fill("{}")
    form.locator("input[name=task_name]").fill("from the form")
    form.locator("button").click()
    page.wait_for_url(re.compile(r".*/console/tasks/\w+$"))
    expect(page.locator("h1")).to_have_text("from the form")


def test_markup_in_names_filters_and_rows_is_shown_as_text(page: Any, served: Served) -> None:
    sign_in(page, served)
    task = f"{served.url}/console/tasks/{served.ids['marked_task']}"
    for url in (
        f"{served.url}/console/catalog",
        f"{served.url}/console/tasks",
        task,
        f"{task}/preview?line=0",
    ):
        page.goto(url)
        assert page.evaluate("window.__pwned") is None, url
        assert page.locator("img[src=x]").count() == 0, url
        assert MARKUP in page.inner_text("main"), url
    page.goto(task)
    filters = page.locator("dt:text-is('Filters') + dd").inner_text()
    assert f"key {MARKUP}" in filters  # a filter's markup, as text


def test_the_report_opens_offline_and_shows_the_plot(
    browser: Any, served: Served, tmp_path: Path, shots: Path
) -> None:
    task_id = served.ids["flagged_task"]
    remote = tmp_path / "remote.html"
    embedded = tmp_path / "embedded.html"
    for where, output in (
        (["--url", served.url, "--api-key", served.token], remote),
        (["--home", str(served.server.home)], embedded),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "rowport", *where, "report", task_id, "-o", str(output)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    context = browser.new_context(offline=True)
    try:
        blocked: list[str] = []

        def only_files(route: Any) -> None:
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_files)
        page = context.new_page()
        for report in (remote, embedded):
            page.goto(report.as_uri())
            _expect()(page.locator("#plot canvas").first).to_be_visible()
            assert int(page.get_attribute("#plot", "data-drawn") or 0) > 0
            assert page.locator("#error-groups tr.error-group").count() == 2
        save_shot(page, shots, "report")
        assert blocked == []
    finally:
        context.close()


def test_a_375_px_window_fits_without_scrolling_sideways(
    browser: Any, served: Served, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, served)
        for name, path in (
            ("tasks-375", "/console/tasks"),
            ("task-375", f"/console/tasks/{served.ids['flagged_task']}"),
        ):
            page.goto(served.url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path}: the page is {width} px wide"
            save_shot(page, shots, name)
    finally:
        context.close()
