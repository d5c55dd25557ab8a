"""Shared pieces of the benchmarks: a database full of learners, gunicorn servers, and a
small load generator that reports medians (never a single timing)."""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "Bench-Password-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Serving:
    """How gunicorn serves an application: ``deploy/gunicorn.conf.py`` with
    its worker settings overridden through the environment it reads."""

    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1

    @property
    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"gthread {self.workers}x{self.threads}"
        return f"{self.worker_class} {self.workers}"

    def env(self) -> dict[str, str]:
        return {
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_WORKER_CLASS": self.worker_class,
            "GUNICORN_THREADS": str(self.threads),
        }


# What deploy/gunicorn.conf.py chooses when nothing overrides it.
CONFIGURED = Serving(workers=2, worker_class="gthread", threads=2)


@contextlib.contextmanager
def gunicorn(target: str, env: dict[str, str], serving: Serving = CONFIGURED) -> Iterator[int]:
    """``target`` under gunicorn with ``deploy/gunicorn.conf.py`` (as in the README's Deploy)."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            **serving.env(),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_ACCESS_LOG": "",
        },
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn {target} did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    client_ms: list[float]
    server_ms: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def client_median(self) -> float:
        return statistics.median(self.client_ms) if self.client_ms else float("nan")

    @property
    def client_p95(self) -> float:
        return percentile(self.client_ms, 95)

    @property
    def server_median(self) -> float:
        return statistics.median(self.server_ms) if self.server_ms else float("nan")


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


TIMING = re.compile(r"app;dur=([0-9.]+)")


def load(
    port: int,
    path: str,
    name: str,
    *,
    requests: int,
    concurrency: int,
    cookies: list[str] | None = None,
    headers: list[dict[str, str]] | None = None,
    max_seconds: float = 60.0,
) -> Result:
    """``requests`` GETs of ``path`` from ``concurrency`` keep-alive connections."""
    client_ms: list[float] = []
    server_ms: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + max_seconds

    def worker(index: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sent = dict(headers[index % len(headers)]) if headers else {}
        if cookies:
            sent["Cookie"] = cookies[index % len(cookies)]
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            connection.request("GET", path, headers=sent)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            timing = TIMING.search(response.getheader("Server-Timing") or "")
            with lock:
                if response.status != 200:
                    errors += 1
                client_ms.append(elapsed)
                if timing:
                    server_ms.append(float(timing.group(1)))
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(name, len(client_ms), time.perf_counter() - started, client_ms, server_ms, errors)


def session_cookie(response: http.client.HTTPResponse) -> str:
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("aula_session="):
            return header.split(";", 1)[0]
    raise AssertionError("no session cookie")


def sign_in(port: int, email: str) -> str:
    """Sign in through the login form; return the Cookie header of the session."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = session_cookie(response)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert token, "no CSRF token on /login"
    body = urllib.parse.urlencode(
        {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    connection.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = connection.getresponse()
    body_text = response.read()
    start = body_text.find(b"<h1>")
    assert response.status == 302, (
        f"sign-in failed: {response.status} {body_text[start : start + 300]!r}"
    )
    session = session_cookie(response)
    connection.close()
    return session


def temporary_database() -> tuple[str, tempfile.TemporaryDirectory[str]]:
    folder = tempfile.TemporaryDirectory(prefix="aula-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder.name}/bench.sqlite3"
    return url, folder


def table(results: list[Result], baseline: Result) -> str:
    lines = [
        f"{'endpoint':<24}{'requests':>9}{'errors':>7}{'server ms':>11}{'client ms':>11}"
        f"{'p95 ms':>9}{'req/s':>9}{'ratio':>8}",
    ]
    for result in [baseline, *results]:
        ratio = result.rps / baseline.rps if baseline.rps else float("nan")
        lines.append(
            f"{result.name:<24}{result.requests:>9}{result.errors:>7}"
            f"{result.server_median:>11.2f}{result.client_median:>11.2f}"
            f"{result.client_p95:>9.1f}{result.rps:>9.0f}{ratio:>7.2f}x"
        )
    return "\n".join(lines)


def seeded(seed: int = 2026) -> random.Random:
    return random.Random(seed)


__all__: list[Any] = [
    "CONFIGURED",
    "PASSWORD",
    "Result",
    "Serving",
    "gunicorn",
    "load",
    "seeded",
    "sign_in",
    "table",
    "temporary_database",
]


def app_env(url: str) -> dict[str, str]:
    """The application's settings for a run on the database at ``url``."""
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-" + "x" * 40,
        "TRAINING_ENV": "development",
        "RATELIMIT_ENABLED": "false",
    }


def measure_baseline(requests: int, concurrency: int, serving: Serving = CONFIGURED) -> Result:
    """The bare Flask endpoint under the same gunicorn: the floor of every page."""
    with gunicorn("bench.bare:app", {}, serving) as port:
        load(port, "/", "warm-up", requests=100, concurrency=concurrency)
        return load(port, "/", "bare Flask", requests=requests, concurrency=concurrency)


def measure_pages(
    port: int,
    pages: dict[str, str],
    cookies: list[str] | None,
    *,
    headers: list[dict[str, str]] | None = None,
    requests: int,
    concurrency: int,
    warm_up: int = 20,
    max_seconds: float = 60.0,
) -> list[Result]:
    """Each page, warmed up, then loaded with ``requests`` GETs."""
    results = []
    for name, path in pages.items():
        load(
            port,
            path,
            "warm-up",
            requests=warm_up,
            concurrency=2,
            cookies=cookies,
            headers=headers,
        )
        results.append(
            load(
                port,
                path,
                name,
                requests=requests,
                concurrency=min(concurrency, requests),
                cookies=cookies,
                headers=headers,
                max_seconds=max_seconds,
            )
        )
    return results
