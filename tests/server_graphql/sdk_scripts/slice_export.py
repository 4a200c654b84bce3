"""A reference-SDK script: export a catalog slice.

Usage: python slice_export.py KEY ENDPOINT SLICE_ID
"""

import json
import sys

import labelbox as lb

key, endpoint, slice_id = sys.argv[1:4]
client = lb.Client(api_key=key, endpoint=endpoint)
task = client.get_catalog_slice(slice_id).export()
task.wait_till_done()
for output in task.get_buffered_stream():
    print(json.dumps(output.json))
