"""A reference-SDK script: cancel a running export task by id.

Usage: python cancel_task.py KEY ENDPOINT TASK_ID
"""

import sys

import labelbox as lb

key, endpoint, task_id = sys.argv[1:4]
client = lb.Client(api_key=key, endpoint=endpoint)
print("cancel_task", client.cancel_task(task_id))
