"""Real Celery workers for the tests: subprocesses on the test database (SQLite file or
PostgreSQL, the same DATABASE_URL as the test's app) and a private redis-server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from tests.content_helpers import synced_content  # noqa: F401
from tests.processes import child_environment
from training.catalog.models import Program
from training.extensions import db

# Short enough for a test to see a killed worker's task delivered again.
VISIBILITY_TIMEOUT = 10
MAIL_LEASE_SECONDS = 3


@pytest.fixture
def app_settings(redis_url: str) -> dict[str, Any]:
    """The test's app hands tasks to the private Redis, as a web process with a broker."""
    return {
        "CELERY_BROKER_URL": redis_url,
        "CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT,
        "MAIL_LEASE_SECONDS": MAIL_LEASE_SECONDS,
    }


@pytest.fixture
def program(synced_content: Any) -> Program:  # noqa: F811
    return db.session.scalars(db.select(Program)).one()


class Worker:
    """One ``celery worker --pool=solo`` subprocess; its output goes to ``log_path``."""

    def __init__(self, environ: dict[str, str], log_path: Path, name: str) -> None:
        self.log_path = log_path
        self.name = name
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "training.jobs.worker:celery",
                    "worker", "--pool=solo", "--concurrency=1", "--loglevel=INFO",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "-n", f"{name}@%h",
                ],
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self._wait_ready()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"The worker stopped:\n{self.output()[-3000:]}")
            if f"{self.name}@" in self.output() and " ready." in self.output():
                return
            time.sleep(0.1)
        pytest.fail(f"The worker did not start:\n{self.output()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, nothing acknowledged or given back."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(app: Flask, redis_url: str, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """``start_worker(MAIL_PORT="2525", ...)``: a worker with the app's database, broker,
    secrets and the given extra settings, ready to take tasks. Stopped (or already
    killed) before the app's database is emptied."""
    redis.Redis.from_url(redis_url).flushall()
    workers: list[Worker] = []

    def start(**settings: str) -> Worker:
        environ = child_environment(
            TRAINING_ENV="testing",
            DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            CELERY_BROKER_URL=redis_url,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
            MAIL_LEASE_SECONDS=str(MAIL_LEASE_SECONDS),
            JOBS_RETRY_BACKOFF_MAX="2",
            SECRET_KEY=app.config["SECRET_KEY"],
            KEY_ENCRYPTION_SECRET=app.config["KEY_ENCRYPTION_SECRET"],
            PUBLIC_BASE_URL=app.config["PUBLIC_BASE_URL"],
            EXPORTS_PATH=app.config["EXPORTS_PATH"],
            **settings,
        )
        worker = Worker(environ, tmp_path / f"worker{len(workers)}.log", f"w{len(workers)}")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    redis.Redis.from_url(redis_url).flushall()


def wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what or condition}")
