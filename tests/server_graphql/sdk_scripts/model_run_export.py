"""A reference-SDK script: export a model run with predictions.

Usage: python model_run_export.py KEY ENDPOINT MODEL_RUN_ID
"""

import json
import sys

import labelbox as lb

key, endpoint, run_id = sys.argv[1:4]
client = lb.Client(api_key=key, endpoint=endpoint)
task = client.get_model_run(run_id).export(params={"predictions": True})
task.wait_till_done()
for output in task.get_buffered_stream():
    print(json.dumps(output.json))
