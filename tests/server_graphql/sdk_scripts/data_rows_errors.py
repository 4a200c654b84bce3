"""A reference-SDK script: export data rows by global key, some unknown; stream the errors.

Usage: python data_rows_errors.py KEY ENDPOINT GLOBAL_KEY...
"""

import json
import sys

import labelbox as lb

key, endpoint, *global_keys = sys.argv[1:]
client = lb.Client(api_key=key, endpoint=endpoint)
task = lb.DataRow.export(client=client, global_keys=global_keys)
task.wait_till_done()
if task.has_errors():
    for error in task.get_buffered_stream(stream_type=lb.StreamType.ERRORS):
        print("error", json.dumps(error.json), file=sys.stderr)
for output in task.get_buffered_stream():
    print(json.dumps(output.json))
