"""Periodic jobs: ``flask jobs run-due`` runs what is due, each job once however many
runners start at the same moment."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import fresh
from tests.processes import child_environment
from tests.smtp import closed_port, use_smtp
from training.database import utcnow
from training.extensions import db
from training.jobs import periodic
from training.jobs.models import JobRun
from training.links.models import ExternalCourse, ExternalLinkCheck
from training.mail import services as mail

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_settings() -> dict[str, object]:
    return {"LINK_CHECK_PRIVATE_ADDRESSES": True, "LINK_CHECK_TIMEOUT": 5}


class SlowSite(BaseHTTPRequestHandler):
    """Answers 200 after a second, counting the requests (a link check in progress)."""

    requests: list[str] = []

    def do_HEAD(self) -> None:
        type(self).requests.append(self.path)
        time.sleep(1)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    SlowSite.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowSite)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def add_course(url: str) -> ExternalCourse:
    course = ExternalCourse(
        provider="Prueba",
        title={"es": "Curso"},
        description={},
        url=url,
        language="es",
        active=True,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    db.session.add(course)
    db.session.commit()
    return course


def schedule() -> dict[str, JobRun]:
    fresh()
    return {row.name: row for row in periodic.schedule()}


def test_run_due_runs_each_job_then_waits_for_its_interval(app, site):
    add_course(f"{site}/curso")

    ran = periodic.run_due()

    assert [(job.name, job.ok) for job in ran] == [
        ("exports.expire", True),
        ("links.check", True),
        ("mail.sweep", True),
    ]
    assert SlowSite.requests == ["/curso"]
    rows = schedule()
    assert {name: (row.runs, row.outcome) for name, row in rows.items()} == {
        "exports.expire": (1, "ok"),
        "links.check": (1, "ok"),
        "mail.sweep": (1, "ok"),
    }
    assert periodic.run_due() == []  # nothing due a moment later
    later = utcnow() + timedelta(minutes=6)
    assert [job.name for job in periodic.run_due(later)] == ["mail.sweep"]
    assert SlowSite.requests == ["/curso"]
    assert schedule()["mail.sweep"].runs == 2


def test_run_due_sends_failed_mail_again(app, smtp_server):
    port, log = smtp_server
    use_smtp(app, closed_port())
    mail.send("consul@gt.example.org", "Asunto", "Cuerpo")
    db.session.commit()
    use_smtp(app, port)

    (sweep,) = [job for job in periodic.run_due() if job.name == "mail.sweep"]

    assert sweep.message == "1 messages handed over again"
    assert [message["To"] for message in log.messages] == ["consul@gt.example.org"]


def test_a_failing_job_is_recorded_and_the_others_still_run(app, runner, monkeypatch):
    from training.jobs import registry

    def broken() -> str:
        raise RuntimeError("sin conexión")

    job = registry.PERIODIC["links.check"]
    monkeypatch.setitem(
        registry.PERIODIC, "links.check", registry.PeriodicJob(job.name, job.every, broken, "")
    )

    result = runner.invoke(args=["jobs", "run-due"])

    assert result.exit_code == 1
    assert "links.check: FAILED: RuntimeError: sin conexión" in result.output
    assert "mail.sweep: ok" in result.output
    assert schedule()["links.check"].outcome == "failed"


def test_jobs_list_shows_the_schedule(app, runner):
    assert "never run" in runner.invoke(args=["jobs", "list"]).output
    periodic.run_due()
    output = runner.invoke(args=["jobs", "list"]).output
    assert "links.check  every 1 day, 0:00:00" in output
    assert "last ok at" in output


def test_two_run_due_at_once_run_each_due_job_once(app, site):
    """Two `flask jobs run-due` processes on the same database at the same moment: every
    due job runs in exactly one of them (the link check, which takes a second, once)."""
    add_course(f"{site}/curso")
    environ = child_environment(
        TRAINING_ENV="testing",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        LINK_CHECK_PRIVATE_ADDRESSES="true",
    )
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run-due"]
    runners = [
        subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in runners]

    assert [process.returncode for process in runners] == [0, 0], outputs
    printed = "".join(stdout for stdout, _stderr in outputs)
    assert printed.count("links.check: ok") == 1, outputs
    assert printed.count("mail.sweep: ok") == 1, outputs
    assert printed.count("exports.expire: ok") == 1, outputs
    assert SlowSite.requests == ["/curso"]
    fresh()
    assert db.session.query(ExternalLinkCheck).count() == 1
    assert {name: row.runs for name, row in schedule().items()} == {
        "exports.expire": 1,
        "links.check": 1,
        "mail.sweep": 1,
    }
