"""One page's run of its examples: a Python process and a bash process sharing a directory.

Blocks run in page order. Python blocks go to one long-lived interpreter (one namespace per
page); shell blocks go to one long-lived bash (variables and ``cd`` carry over). Each block
ends with an answer on a pipe, so the session knows when a block is done and whether it
failed, with no polling of the clock.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import IO

import attrs
from docblocks import Block, console_script

__all__ = ["BLOCK_TIMEOUT", "BlockFailed", "DocSession"]

DRIVER = Path(__file__).with_name("pyblock_driver.py")
BLOCK_TIMEOUT = 180.0  # a guard against a hung block, not a measure of speed
_LOG_TAIL = 6000


class BlockFailed(AssertionError):
    """A doc block that did not run as written."""


@attrs.define
class _Worker:
    """A child process with its request pipe (stdin) and its answer pipe."""

    process: subprocess.Popen[bytes]
    answers: int  # the reading end, in this process
    child_fd: int  # the writing end's number in the child
    log: Path

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode("utf-8"))
        self.process.stdin.flush()

    def answer(self) -> str | None:
        """The next answer line, or None when the process ended first."""
        data = b""
        while not data.endswith(b"\n"):
            ready, _, _ = select.select([self.answers], [], [], BLOCK_TIMEOUT)
            if not ready:
                self.process.kill()
                raise BlockFailed(f"no answer after {BLOCK_TIMEOUT:.0f} s (killed)")
            chunk = os.read(self.answers, 65536)
            if not chunk:
                return None
            data += chunk
        return data.decode("utf-8")

    def close(self) -> None:
        stdin: IO[bytes] | None = self.process.stdin
        if stdin is not None and not stdin.closed:
            try:
                stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.process.wait(timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.answers)


@attrs.define
class DocSession:
    """Runs the blocks of one page in ``workdir`` with ``env``."""

    root: Path
    workdir: Path
    env: dict[str, str]
    _python: _Worker | None = None
    _bash: _Worker | None = None

    def run(self, block: Block) -> None:
        """Run ``block`` (or its stand-in); raise :class:`BlockFailed` saying why it failed."""
        if block.instead is not None:
            self._run_shell(block, block.instead + "\n", strict=True)
        elif block.lang == "python":
            self._run_python(block)
        elif block.lang == "console":
            self._run_shell(block, console_script(block.source), strict=False)
        else:
            self._run_shell(block, block.source, strict=True)

    def close(self) -> None:
        """End both processes (a Python block's open clients close as the interpreter exits)."""
        for worker in (self._python, self._bash):
            if worker is not None:
                worker.close()
        self._python = self._bash = None

    # -- the two interpreters ---------------------------------------------------------------

    def _start(self, command: list[str], name: str) -> _Worker:
        read, write = os.pipe()
        log = self.workdir.parent / f"{self.workdir.name}.{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [part.replace("{fd}", str(write)) for part in command],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=self.env,
                pass_fds=(write,),
            )
        os.close(write)
        return _Worker(process=process, answers=read, child_fd=write, log=log)

    def _run_python(self, block: Block) -> None:
        if self._python is None:
            self._python = self._start([sys.executable, str(DRIVER), "{fd}"], "python")
        # padded so that tracebacks show the line numbers of the Markdown page
        source = "\n" * block.line + block.source
        request = {"source": source, "filename": str(block.page)}
        self._python.send(json.dumps(request) + "\n")
        answer = self._python.answer()
        if answer is None:
            self._fail(block, self._python, "the Python process ended")
        reply = json.loads(answer)
        if not reply["ok"]:
            self._fail(block, self._python, reply["error"])

    def _run_shell(self, block: Block, script: str, *, strict: bool) -> None:
        if self._bash is None:
            self._bash = self._start(["bash", "--noprofile", "--norc"], "bash")
            self._bash.send("set -o pipefail\n")
        mode = "set -e" if strict else "set +e"
        self._bash.send(
            f"{mode}\n{{\n{script}\n}} </dev/null\nset +e\nprintf 'ok\\n' >&{self._bash.child_fd}\n"
        )
        if self._bash.answer() is None:
            code = self._bash.process.wait()
            self._fail(block, self._bash, f"the shell stopped with exit status {code}")

    def _fail(self, block: Block, worker: _Worker, why: str) -> None:
        log = worker.log.read_text(encoding="utf-8", errors="replace")[-_LOG_TAIL:]
        raise BlockFailed(
            f"{block.where(self.root)} ({block.lang}) did not run as written: {why}\n"
            f"--- the block ---\n{block.source}"
            f"--- output of the page so far (last {_LOG_TAIL} characters) ---\n{log}"
        )
