"""``POST /graphql`` answers the reference SDK's own query texts (``labelbox==7.17.0``) on a
real ``rowport serve``: auth and error codes, the getters, the export mutations translated to
native exports, task lookup and cancel, and the file chunks the SDK reads rows from."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest
import requests
from graphql_support import QUERIES, Org

from rowport import TaskStatus
from rowport.errors import InvalidExportRequest

SDK_DATE = "%Y-%m-%dT%H:%M:%S.%fZ"
_PARAMS = {
    "mediaTypeOverride": None,
    "includeAttachments": True,
    "includeEmbeddings": False,
    "includeMetadata": True,
    "includeDataRowDetails": True,
    "includeProjectDetails": True,
    "includePerformanceDetails": False,
    "includeLabelDetails": True,
    "includeInterpolatedFrames": False,
}


def _error(response: requests.Response) -> tuple[int, str, str]:
    assert response.status_code < 500, response.text
    (error,) = response.json()["errors"]
    return response.status_code, error["extensions"]["code"], error["message"]


def _selected(name: str) -> list[str]:
    """The field names the SDK selects in its innermost braces (what it reads as keys)."""
    text = QUERIES[name]
    inner = text[text.rindex("{") + 1 : text.index("}")]
    return inner.split()


def _project_input(project_id: str, query: list[Any], **params: Any) -> dict[str, Any]:
    return {
        "input": {
            "taskName": None,
            "isStreamableReady": True,
            "filters": {"projectId": project_id, "searchQuery": {"scope": None, "query": query}},
            "params": {**_PARAMS, **params},
            "streamable": True,
        }
    }


def _wait(org: Org, task_id: str) -> dict[str, Any]:
    """Poll the task as ``wait_till_done`` does (the SDK's text) until it leaves IN_PROGRESS."""
    user_id = org.data("GetUserPyApi", {})["user"]["id"]
    deadline = time.monotonic() + 120
    while True:
        (task,) = org.data("GetUserCreatedTasksPyApi", {"param_0": task_id, "param_1": user_id})[
            "user"
        ]["createdTasks"]
        if task["status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return dict(task)
        time.sleep(0.2)


def _sdk_lines(org: Org, task_id: str, stream: str) -> list[dict[str, Any]] | None:
    """Read a stream as the SDK's ``_BufferedFileRetrieverByOffset`` does (its assertions)."""
    where = {"where": {"id": task_id}, "streamType": stream}
    header = org.data("GetExportMetadataHeaderPyApi", where)["task"]["exportMetadataHeader"]
    if header is None:
        return None
    text, cursor = b"", 0
    while cursor < int(header["totalSize"]):
        info = org.data("GetExportFileFromOffsetPyApi", {**where, "offset": str(cursor)})
        info = info["task"]["exportFileFromOffset"]
        start, end = int(info["offsets"]["start"]), int(info["offsets"]["end"])
        assert start == cursor and end >= cursor
        body = requests.get(info["file"], timeout=30)  # no headers, as the SDK
        body.raise_for_status()
        assert len(body.content) == end - start + 1 and body.content.endswith(b"\n")
        text += body.content
        cursor = end + 1
    return [json.loads(line) for line in text.decode().splitlines()]


def test_a_bad_key_is_an_authentication_error(org: Org) -> None:
    assert _error(org.gql("GetUserPyApi", {}, token="nope"))[:2] == (401, "AUTHENTICATION_ERROR")
    response = requests.post(org.endpoint, json={"query": QUERIES["GetUserPyApi"]}, timeout=30)
    assert _error(response)[:2] == (401, "AUTHENTICATION_ERROR")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ not graphql"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": None}, "GRAPHQL_PARSE_FAILED"),
        ([1, 2], "GRAPHQL_PARSE_FAILED"),
        ({"query": "query SomethingNewPyApi { x }"}, "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_bad_queries_answer_a_code_never_a_5xx(org: Org, body: Any, code: str) -> None:
    status, got, message = _error(org.post(body))
    assert (status, got) == (400, code)
    assert message


def test_getters_answer_every_field_the_sdk_selects(org: Org) -> None:
    made = org.made
    run = org.client.create_model("m").create_model_run("r")
    saved = org.client.create_slice("s", {"dataset_ids": [made["dataset"]]})
    cases = {
        "GetProjectPyApi": ({"param_0": made["project"]}, "project"),
        "GetDatasetPyApi": ({"param_0": made["dataset"]}, "dataset"),
        "GetModelRunPyApi": ({"param_0": run.uid}, "modelRun"),
        "GetUserPyApi": ({}, "user"),
        "GetOrganizationPyApi": (None, "organization"),
    }
    for name, (variables, field) in cases.items():
        entity = org.data(name, variables)[field]
        assert set(_selected(name)) <= set(entity), name
        datetime.strptime(entity["createdAt"], SDK_DATE)
    assert org.data("GetDatasetPyApi", {"param_0": made["dataset"]})["dataset"]["rowCount"] == 4
    sliced = org.data("getSavedQueryPyApi", {"id": saved.uid})["getSavedQuery"]
    assert sliced["id"] == saved.uid and {"name", "filter", "createdAt"} <= set(sliced)
    assert org.data("CurrentUserPyApi")["user"]["timezone"] == "UTC"
    # an unknown id is a null entity: the SDK's ResourceNotFoundError
    assert org.data("GetProjectPyApi", {"param_0": "nosuchproject"}) == {"project": None}
    assert org.data("getSavedQueryPyApi", {"id": "nosuch"}) == {"getSavedQuery": None}


def test_a_project_export_with_filters_reads_the_rows_rowport_reads(org: Org) -> None:
    made = org.made
    query = [
        {"ids": made["data_rows"][:3], "operator": "is", "type": "data_row_id"},
        {"ids": [made["batch"]], "operator": "is", "type": "batch"},
        {
            "type": "data_row_last_activity_at",
            "value": {
                "operator": "BETWEEN",
                "timezone": "UTC",
                "value": {"min": "2000-01-01", "max": "2999-01-01"},
            },
        },
        {
            "type": "labeled_at",
            "value": {
                "operator": "GREATER_THAN_OR_EQUAL",
                "timezone": "UTC",
                "value": "2000-01-01",
            },
        },
    ]
    started = org.data("exportDataRowsInProjectPyApi", _project_input(made["project"], query))
    answer = started["exportDataRowsInProject"]
    assert answer["isStreamable"] is True
    task = _wait(org, answer["taskId"])
    assert task["status"] == "COMPLETE" and task["type"] == "export-data-rows"
    assert task["completionPercentage"] == 100
    datetime.strptime(task["updatedAt"], SDK_DATE)
    rows = _sdk_lines(org, answer["taskId"], "RESULT")
    native = org.client.get_task(answer["taskId"])
    assert native.status is TaskStatus.COMPLETE
    assert rows == [out.json for out in native.get_buffered_stream()]
    # rows 0..2 were chosen; the last row has no label, so labeled_at leaves rows 0..2
    assert [r["data_row"]["id"] for r in rows] == made["data_rows"][:3]
    assert _sdk_lines(org, answer["taskId"], "ERRORS") is None  # exportMetadataHeader: null
    # the same task through rowport's native options
    same = org.client.get_project(made["project"]).export(
        params={
            "attachments": True,
            "metadata_fields": True,
            "data_row_details": True,
            "project_details": True,
            "label_details": True,
        },
        filters={
            "data_row_ids": made["data_rows"][:3],
            "batch_ids": [made["batch"]],
            "last_activity_at": ["2000-01-01", "2999-01-01"],
            "label_created_at": ["2000-01-01", None],
        },
    )
    same.wait_till_done(timeout_seconds=120)
    assert [o.json["data_row"] for o in same.get_buffered_stream()] == [r["data_row"] for r in rows]


@pytest.mark.parametrize(
    ("status", "native"),
    [
        ({"type": "task_queue_not_exist"}, "ToLabel"),
        ({"type": "task_queue_status", "status": "Done"}, "Done"),
    ],
)
def test_workflow_filters(org: Org, status: dict[str, Any], native: str) -> None:
    made = org.made
    started = org.data("exportDataRowsInProjectPyApi", _project_input(made["project"], [status]))
    task_id = started["exportDataRowsInProject"]["taskId"]
    assert _wait(org, task_id)["status"] == "COMPLETE"
    rows = _sdk_lines(org, task_id, "RESULT") or []
    same = org.client.get_project(made["project"]).export(filters={"workflow_status": native})
    same.wait_till_done(timeout_seconds=120)
    expected = [o.json for o in same.get_buffered_stream()] if same.has_result() else []
    assert [r["data_row"]["id"] for r in rows] == [r["data_row"]["id"] for r in expected]


def test_dataset_model_run_and_slice_exports(org: Org) -> None:
    made = org.made
    rows = org.client.get_dataset(made["dataset"]).data_rows()
    run = org.client.create_model("m").create_model_run("r")
    run.upsert_data_rows(data_rows=rows[:2])
    saved = org.client.create_slice("s", {"dataset_ids": [made["dataset"]]})
    catalog_params = {
        "includeAttachments": False,
        "includeMetadata": True,
        "includePredictions": False,
        "projectIds": [made["project"]],
        "modelRunIds": None,
        "allProjects": False,
        "allModelRuns": True,
    }
    cases = [
        (
            "exportDataRowsInCatalogPyApi",
            {
                "taskName": "Export v2: dataset - d",
                "filters": {
                    "searchQuery": {
                        "scope": None,
                        "query": [
                            {
                                "ids": [made["global_keys"][1]],
                                "operator": "is",
                                "type": "global_key",
                            },
                            {"ids": [made["dataset"]], "operator": "is", "type": "dataset"},
                        ],
                    }
                },
                "params": catalog_params,
            },
            [made["data_rows"][1]],
        ),
        (
            "exportDataRowsInModelRunPyApi",
            {
                "taskName": None,
                "filters": {"modelRunId": run.uid},
                "params": {"includePredictions": True, "includeModelRunDetails": False},
            },
            made["data_rows"][:2],
        ),
        (
            "exportDataRowsInSlicePyApi",
            {
                "taskName": None,
                "filters": {"sliceId": saved.uid},
                "params": {"includeLabelDetails": True, "allProjects": False},
            },
            made["data_rows"],
        ),
    ]
    names = []
    for name, source, expected in cases:
        body = {"input": {"isStreamableReady": True, "streamable": True, **source}}
        (answer,) = org.data(name, body).values()
        task = _wait(org, answer["taskId"])
        assert task["status"] == "COMPLETE", (name, task)
        got = _sdk_lines(org, answer["taskId"], "RESULT") or []
        assert [r["data_row"]["id"] for r in got] == expected, name
        native = org.client.get_task(answer["taskId"])
        assert got == [o.json for o in native.get_buffered_stream()]
        names.append(task["name"])
    assert names[0] == "Export v2: dataset - d"  # taskName is kept


def test_bad_inputs_answer_the_native_message(org: Org) -> None:
    made = org.made
    bad = _project_input(made["project"], [], includePredictions=True)
    status, code, message = _error(org.gql("exportDataRowsInProjectPyApi", bad))
    assert (status, code) == (400, "MALFORMED_REQUEST")
    with pytest.raises(InvalidExportRequest) as native:
        org.client.get_project(made["project"]).export(params={"predictions": True})
    assert message == str(native.value)
    unknown = _project_input(made["project"], [{"type": "no_such_filter"}])
    assert (
        "unknown filter type 'no_such_filter'"
        in _error(org.gql("exportDataRowsInProjectPyApi", unknown))[2]
    )
    zone = {"operator": "GREATER_THAN_OR_EQUAL", "timezone": "Mars/Base", "value": "2024-01-01"}
    dated = _project_input(made["project"], [{"type": "labeled_at", "value": zone}])
    status, code, message = _error(org.gql("exportDataRowsInProjectPyApi", dated))
    assert (status, code) == (400, "MALFORMED_REQUEST")
    assert "date filter 'labeled_at' (label_created_at): unknown timezone 'Mars/Base'" in message
    ignored = _project_input(made["project"], [], includeSomethingNew=False)
    assert org.data("exportDataRowsInProjectPyApi", ignored)["exportDataRowsInProject"]["taskId"]
    missing = org.data("GetUserCreatedTasksPyApi", {"param_0": "nosuchtask", "param_1": "x"})
    assert missing == {"user": {"createdTasks": []}}


def test_cancel_task_as_client_cancel_task_does(org: Org) -> None:
    started = org.data("exportDataRowsInProjectPyApi", _project_input(org.made["project"], []))[
        "exportDataRowsInProject"
    ]
    user_id = org.data("GetUserPyApi", {})["user"]["id"]
    (task,) = org.data(
        "GetUserCreatedTasksPyApi_cancel", {"userId": user_id, "taskId": started["taskId"]}
    )["user"]["createdTasks"]
    types = org.data("GetCancelableTaskTypesPyApi")["cancelableTaskTypes"]
    assert task["type"] in [t.replace("D", "-d").replace("R", "-r").lower() for t in types]
    answer = org.data("CancelTaskPyApi", {"id": started["taskId"]})["cancelBulkOperationJob"]
    assert isinstance(answer["success"], bool)
    final = _wait(org, started["taskId"])
    assert final["status"] in ("CANCELED", "COMPLETE")
    assert _error(org.gql("CancelTaskPyApi", {"id": "nosuchtask"}))[1] == "RESOURCE_NOT_FOUND"


def test_file_urls_are_signed_and_expire(org: Org) -> None:
    started = org.data("exportDataRowsInProjectPyApi", _project_input(org.made["project"], []))[
        "exportDataRowsInProject"
    ]
    assert _wait(org, started["taskId"])["status"] == "COMPLETE"
    where = {"where": {"id": started["taskId"]}, "streamType": "RESULT"}
    info = org.data("GetExportFileFromOffsetPyApi", {**where, "offset": "0"})
    url = info["task"]["exportFileFromOffset"]["file"]
    assert requests.get(url, timeout=30).status_code == 200
    for tampered in (
        url.replace("/RESULT/0/", "/RESULT/1/"),
        url[:-2] + "00",
        url.replace("expires=", "expires=9"),
    ):
        assert requests.get(tampered, timeout=30).status_code == 403
    _, code, message = _error(org.gql("GetExportFileFromOffsetPyApi", {**where, "offset": "1"}))
    assert code == "MALFORMED_REQUEST" and "not where a line starts" in message


def test_a_read_only_key_reads_but_cannot_export_or_cancel(org: Org, server: Any) -> None:
    reader = server.create_key(
        "ro", organization=org.client.get_organization().name or "", read_only=True
    )
    assert org.gql("GetUserPyApi", {}, token=reader).status_code == 200
    start = org.gql(
        "exportDataRowsInProjectPyApi", _project_input(org.made["project"], []), token=reader
    )
    assert _error(start)[:2] == (403, "AUTHORIZATION_ERROR")
    assert _error(org.gql("CancelTaskPyApi", {"id": "x"}, token=reader))[1] == (
        "AUTHORIZATION_ERROR"
    )
