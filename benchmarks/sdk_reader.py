"""The reference SDK's side of ``benchmarks/sdk.py``: read a task's RESULT stream with it.

    python sdk_reader.py KEY ENDPOINT TASK_ID    (a python whose environment holds labelbox)

The script a user runs to read a task started elsewhere, unmodified but for the clock: the
client, ``ExportTask.get_task``, every output of ``get_buffered_stream()`` (each line parsed, as
the SDK does). Prints one JSON line: ``import_s`` (importing the SDK), ``first_row_s`` (from
making the client to the first output), ``total_s`` (to the last), ``rows``.
"""

import json
import sys
import time

started = time.perf_counter()
import labelbox as lb  # noqa: E402  (its import is timed apart)

imported = time.perf_counter()
key, endpoint, task_id = sys.argv[1:4]
client = lb.Client(api_key=key, endpoint=endpoint)
task = lb.ExportTask.get_task(client, task_id)
first = None
rows = 0
for _output in task.get_buffered_stream():
    if first is None:
        first = time.perf_counter()
    rows += 1
done = time.perf_counter()
print(
    json.dumps(
        {
            "import_s": imported - started,
            "first_row_s": (first or done) - imported,
            "total_s": done - imported,
            "rows": rows,
        }
    )
)
