"""A reference-SDK script: read a task someone else started, by id.

Usage: python get_task.py KEY ENDPOINT TASK_ID
"""

import json
import sys

import labelbox as lb

key, endpoint, task_id = sys.argv[1:4]
client = lb.Client(api_key=key, endpoint=endpoint)
task = lb.ExportTask.get_task(client, task_id)
task.wait_till_done()
for output in task.get_buffered_stream(stream_type=lb.StreamType.RESULT):
    print(json.dumps(output.json))
