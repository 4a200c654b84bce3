"""A reference-SDK script: the deprecated export_v2, its .result and .errors.

Usage: python export_v2.py KEY ENDPOINT PROJECT_ID
"""

import json
import sys
import warnings

import labelbox as lb

warnings.simplefilter("ignore", DeprecationWarning)
key, endpoint, project_id = sys.argv[1:4]
client = lb.Client(api_key=key, endpoint=endpoint)
task = client.get_project(project_id).export_v2(params={"label_details": True})
task.wait_till_done()
print("errors", json.dumps(task.errors), file=sys.stderr)
for row in task.result:
    print(json.dumps(row))
