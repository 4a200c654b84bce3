"""A reference-SDK script: export a project with params and one set of filters, print rows.

Usage: python project_export.py KEY ENDPOINT PROJECT_ID CASE ARG
(CASE: dates BATCH_ID | data_rows DATA_ROW_ID | global_keys GLOBAL_KEY | queue STATUS
| filters FILTERS_JSON)
"""

import json
import sys

import labelbox as lb

key, endpoint, project_id, case, arg = sys.argv[1:6]
FILTERS = {
    "dates": {
        "last_activity_at": ["2000-01-01 00:00:00", "2999-01-01 00:00:00"],
        "label_created_at": ["2000-01-01 00:00:00", None],
        "batch_ids": [arg],
    },
    "data_rows": {"last_activity_at": [None, "2999-01-01 00:00:00"], "data_row_ids": [arg]},
    "global_keys": {"global_keys": [arg]},
    "queue": {"workflow_status": arg},
    "filters": json.loads(arg) if case == "filters" else None,
}
client = lb.Client(api_key=key, endpoint=endpoint)
project = client.get_project(project_id)
task = project.export(
    params={
        "attachments": True,
        "metadata_fields": True,
        "data_row_details": True,
        "project_details": True,
        "label_details": True,
        "performance_details": True,
    },
    filters=FILTERS[case],
)
task.wait_till_done()
print("has_errors", task.has_errors(), file=sys.stderr)
if task.has_result():
    for output in task.get_buffered_stream():
        print(json.dumps(output.json))
