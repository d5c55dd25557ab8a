"""Bulk issuance in the background: a cohort's certificates are issued by a real worker,
and a worker killed mid-issuance loses no certificate and duplicates none."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from tests.certificates.conftest import complete_program
from tests.factories import create_cohort, set_ministry
from tests.helpers import audit_events, fresh
from tests.jobs.conftest import VISIBILITY_TIMEOUT, wait_for
from training.certificates import issuing
from training.certificates.models import Certificate
from training.extensions import db


def certificates() -> list[Certificate]:
    fresh()
    return list(db.session.scalars(db.select(Certificate).order_by(Certificate.id)))


def valid_serials() -> list[str]:
    return sorted(c.serial for c in certificates() if c.status == "valid")


@contextmanager
def serial_counter_locked(url: str) -> Iterator[None]:
    """Another transaction holds the lock an issuance needs to take a serial number (the
    counter row on PostgreSQL, the database's write lock on SQLite): an issuance in
    progress blocks there."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(text("SELECT * FROM serial_counter FOR UPDATE"))
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def test_a_cohorts_certificates_are_issued_by_the_worker(
    app,
    client,
    make_user,
    coordinator,
    issuer,
    program,
    api_token,
    start_worker,
):
    set_ministry("GT", certificate_approval="manual")
    members = [make_user(roles=["learner"], ministry="GT") for _ in range(3)]
    for member in members[:2]:
        complete_program(member)
    cohort = create_cohort(coordinator, members, program_slug=program.slug)
    start_worker()

    response = client.post(f"/api/v1/cohorts/{cohort.id}/certificates", headers=api_token(issuer))

    assert (response.status_code, response.get_json()) == (202, {"queued": 2})
    wait_for(lambda: len(valid_serials()) == 2, what="the worker to issue both")
    first_serial, second_serial = valid_serials()
    assert int(second_serial.rsplit("-", 1)[1]) == int(first_serial.rsplit("-", 1)[1]) + 1
    assert {c.issued_by_id for c in certificates()} == {issuer.id}


def test_a_worker_killed_mid_issuance_loses_no_certificate_and_duplicates_none(
    app,
    client,
    make_user,
    coordinator,
    issuer,
    program,
    api_token,
    start_worker,
):
    set_ministry("GT", certificate_approval="manual")
    first, second = (make_user(roles=["learner"], ministry="GT") for _ in range(2))
    complete_program(first)
    complete_program(second)
    cohort = create_cohort(coordinator, [first, second], program_slug=program.slug)
    # One certificate issued already: the ministry's serial counter exists.
    assert issuing.issue_one(first.id, program.id, issuer.id)
    db.session.commit()
    response = client.post(f"/api/v1/cohorts/{cohort.id}/certificates", headers=api_token(issuer))
    assert response.get_json() == {"queued": 1}  # waiting in Redis: no worker runs yet

    with serial_counter_locked(app.config["SQLALCHEMY_DATABASE_URI"]):
        worker = start_worker()
        wait_for(lambda: "Task certificates.issue[" in worker.output(), what="the worker to start")
        time.sleep(1)  # it is now waiting for the serial number
        worker.kill()
        killed_at = time.monotonic()
    assert "succeeded" not in worker.output()  # killed in the middle of the task
    assert [c.status for c in certificates()] == ["valid", "pending"]

    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - killed_at)))
    start_worker()

    wait_for(lambda: len(valid_serials()) == 2, timeout=60, what="the second worker")
    time.sleep(1)
    stored = certificates()
    assert [(c.user_id, c.status) for c in stored] == [(first.id, "valid"), (second.id, "valid")]
    first_serial, second_serial = valid_serials()
    assert int(second_serial.rsplit("-", 1)[1]) == int(first_serial.rsplit("-", 1)[1]) + 1
    issued = audit_events("certificate.issued")
    assert sorted(event.target_id for event in issued) == sorted(str(c.id) for c in stored)


def test_an_export_is_built_by_the_worker_and_then_downloaded(
    app,
    client,
    make_user,
    coordinator,
    program,
    api_token,
    start_worker,
):
    app.config["REPORT_INLINE_MAX_ROWS"] = 0
    complete_program(make_user(roles=["learner"], ministry="GT"))
    db.session.commit()
    start_worker(REPORT_INLINE_MAX_ROWS="0")
    headers = api_token(coordinator)

    response = client.get("/api/v1/reports/completion?format=xlsx", headers=headers)

    assert response.status_code == 202
    location = response.headers["Location"]
    status = wait_for(
        lambda: (
            (answer := client.get(location, headers=headers).get_json())["status"] == "ready"
            and answer
        ),
        what="the worker to build the export",
    )
    download = client.get(status["download_url"], headers=headers)
    assert download.status_code == 200
    assert download.data.startswith(b"PK")  # an XLSX is a ZIP
