"""A reference-SDK script: export a dataset with project_ids and all_model_runs.

Usage: python dataset_export.py KEY ENDPOINT DATASET_ID PROJECT_ID
"""

import json
import sys

import labelbox as lb

key, endpoint, dataset_id, project_id = sys.argv[1:5]
client = lb.Client(api_key=key, endpoint=endpoint)
dataset = client.get_dataset(dataset_id)
task = dataset.export(
    params={"metadata_fields": True, "project_ids": [project_id], "all_model_runs": True}
)
task.wait_till_done()
assert not task.has_errors()
for output in task.get_buffered_stream():
    print(json.dumps(output.json))
