"""Real servers for tests that need them: a free port, a program that must be installed,
a private redis-server. Nothing here shares the machine's own services."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server of the caller's own, in ``folder``, keeping nothing on disk; returns
    the process and its URL. Stop it with ``terminate()``."""
    program = require_program("redis-server", "redis-server")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            program,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(folder),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
    except Exception:
        process.kill()
        raise
    return process, f"redis://127.0.0.1:{port}/0"
