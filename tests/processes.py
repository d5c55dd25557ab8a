"""Real servers for tests that need them: a free port, a program that must be installed,
a private redis-server. Nothing here shares the machine's own services."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


ROOT = Path(__file__).resolve().parents[1]
# The services a child process must not inherit from the test run's own environment.
SERVICE_VARIABLES = frozenset(
    {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MAIL_SERVER", "PROMETHEUS_MULTIPROC_DIR"}
)


def child_environment(**settings: str) -> dict[str, str]:
    """This process's environment without its service settings, plus ``settings``: what
    a gunicorn, Celery or flask subprocess of a test starts with."""
    environ = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    environ.update(settings)
    return environ


@contextmanager
def gunicorn(environ: dict[str, str], log: Path, *, seconds: float = 30) -> Iterator[int]:
    """The application under gunicorn with deploy/gunicorn.conf.py and ``environ``, on a
    free port (its output in ``log``); yields the port once /healthz answers 200, and
    stops the server at the end."""
    port = free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env={**environ, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, "gunicorn stopped:\n" + log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start:\n" + log.read_text()
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(30)


def require_program(name: str, package: str) -> str:
    """The path of ``name``; the test run fails (never skips) when it is missing."""
    path = shutil.which(name) or next(
        (
            str(folder / name)
            for folder in (Path("/usr/sbin"), Path("/sbin"))
            if (folder / name).exists()
        ),
        None,
    )
    if path is None:
        pytest.fail(
            f"{name} is missing: install Debian's {package} (`make test` and "
            "`make system-test` install it when run as root)",
            pytrace=False,
        )
    return path


def wait_for_port(port: int, process: subprocess.Popen[bytes], *, seconds: float = 20) -> None:
    """Wait until something accepts connections on ``port``; fail if ``process`` exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {seconds} s: {process.args!r}")


class RedisServer:
    """A ``redis-server`` of the caller's own, on a free port, in ``directory``, keeping
    nothing on disk; it can be stopped (killed) and started again on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        program = require_program("redis-server", "redis-server")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                program,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--save", "",
                "--appendonly", "no",
                "--logfile", str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_for_port(self.port, self.process, seconds=10)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
