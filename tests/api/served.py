"""A real ``entas serve`` process on a free loopback port, for the reliability tests (and its stderr log)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from api_world import SECRET
from ops_world import PG_URL
from sqlalchemy import Engine, text

ENTAS = str(Path(sys.executable).with_name("entas"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_url(engine: Engine) -> str:
    """The URL a separate process needs to reach the test's database (a PostgreSQL test's private schema too)."""
    if engine.dialect.name == "sqlite":
        return str(engine.url)
    assert PG_URL is not None
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, like a power cut of the process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def served(home: Path, url: str, log: Path) -> Iterator[Served]:
    """``entas serve`` on a free port (waits until /health answers; stopped at the end if still running)."""
    port = free_port()
    env = {**os.environ, "ENTAS_SECRET_KEY": SECRET}
    with log.open("ab") as sink:
        process = subprocess.Popen([ENTAS, "serve", "--port", str(port), "--home", str(home), "--database-url", url,
                                    "--log-level", "info"], env=env, stdout=sink, stderr=sink)
    server = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"entas serve exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{server.base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"entas serve did not answer within 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
