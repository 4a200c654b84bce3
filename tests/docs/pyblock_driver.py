"""Run Python doc blocks one after another in one namespace, as the doc test sends them.

Started as ``python pyblock_driver.py FD``: reads one JSON request per line on stdin
(``{"source", "filename"}``), runs it, and answers on file descriptor FD with one JSON line:
``{"ok": true}`` or ``{"ok": false, "error": "<traceback>"}``. What the blocks print goes to
this process's stdout and stderr (the test keeps it in a log).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import types
from typing import Any


def main() -> None:
    """Serve requests until stdin closes."""
    answers = os.fdopen(int(sys.argv[1]), "w", encoding="utf-8", buffering=1)
    # the blocks run as the body of a script: their module is __main__
    script = types.ModuleType("__main__")
    sys.modules["__main__"] = script
    namespace: dict[str, Any] = script.__dict__
    sys.path.insert(0, os.getcwd())
    for request_line in sys.stdin:
        request = json.loads(request_line)
        try:
            code = compile(request["source"], request["filename"], "exec")
            exec(code, namespace)
        except BaseException:
            answer = {"ok": False, "error": traceback.format_exc()}
        else:
            answer = {"ok": True}
        sys.stdout.flush()
        sys.stderr.flush()
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
