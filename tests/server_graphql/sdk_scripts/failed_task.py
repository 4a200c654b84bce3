"""A reference-SDK script: a task that FAILED raises ExportTaskException at has_errors().

Usage: python failed_task.py KEY ENDPOINT TASK_ID
"""

import sys

import labelbox as lb

key, endpoint, task_id = sys.argv[1:4]
client = lb.Client(api_key=key, endpoint=endpoint)
task = lb.ExportTask.get_task(client, task_id)
task.wait_till_done()
print("status", task.status)
try:
    task.has_errors()
except lb.ExportTask.ExportTaskException as exc:
    print("ExportTaskException", exc)
