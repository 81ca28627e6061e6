"""One `streamlit run app.py`, exactly as a user starts it, on a free loopback port: the one helper that the browser
tests, the benchmarks, the load and soak tests and the class server's replicas share.

    with AppServer.started(log_path) as app:
        page.goto(app.url + "/text")
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

ROOT = Path(__file__).resolve().parent.parent  # the repository: where app.py is
START_TIMEOUT_S = 60.0  # how long a fresh server may take to answer its health check


def free_port(address: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def command(port: int, address: str = "127.0.0.1") -> list[str]:
    """The command line of one app server: headless, no usage statistics."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether Streamlit answers its health check at ``url``."""
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


@dataclass
class AppServer:
    """A running app server: its process, address and log."""

    proc: subprocess.Popen  # the `streamlit run` process
    url: str  # http://127.0.0.1:PORT
    log: IO | None = None  # where its output goes (None: discarded)

    @classmethod
    def start(
        cls,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
        timeout: float = START_TIMEOUT_S,
    ) -> "AppServer":
        """Start one server and wait until it answers; RuntimeError (with the log's name) when it doesn't."""
        port = port or free_port()
        log = open(log_path, "w") if log_path is not None else None
        out = log if log is not None else subprocess.DEVNULL
        proc = subprocess.Popen(
            command(port),
            cwd=ROOT,
            env=env if env is not None else dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        server = cls(proc, f"http://127.0.0.1:{port}", log)
        where = f"; see {log_path}" if log_path is not None else ""
        deadline = time.monotonic() + timeout
        while not healthy(server.url):
            if proc.poll() is not None:
                server.stop()
                raise RuntimeError(f"streamlit exited early{where}")
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"streamlit did not start within {timeout:.0f} s{where}")
            time.sleep(0.3)
        return server

    def stop(self) -> None:
        """Terminate the server (kill it if it does not end within 10 s) and close its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log is not None:
            self.log.close()

    @classmethod
    @contextmanager
    def started(cls, log_path: Path | None = None, **kw) -> Iterator["AppServer"]:
        server = cls.start(log_path, **kw)
        try:
            yield server
        finally:
            server.stop()
