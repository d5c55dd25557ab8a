"""Running the periodic jobs that are due, each once, however many runners.

``flask jobs run-due`` (from cron, every minute, when no Celery beat runs) and beat's
``jobs.run_due`` task (every minute) both call :func:`run_due`. A job is taken by a
conditional UPDATE that moves its ``next_due_at`` forward, committed before the job
runs: of two runners at the same moment, the database lets exactly one change the row
(PostgreSQL's row lock makes the second re-read it; SQLite has one writer at a time), and
only that one runs the job. A runner killed mid-job does not hold the job: it is due
again one interval later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from training import unit_of_work
from training.database import utcnow
from training.extensions import db
from training.jobs.models import JobRun
from training.jobs.registry import PERIODIC, PeriodicJob


@dataclass(frozen=True)
class Ran:
    name: str
    ok: bool
    message: str


def _ensure_rows(now: datetime) -> None:
    """A row per registered job, due at once the first time (concurrent runners may
    both insert: the second one's rows are ignored)."""
    rows = [{"name": name, "next_due_at": now, "runs": 0} for name in PERIODIC]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(JobRun).values(rows).on_conflict_do_nothing())


def _take(job: PeriodicJob, now: datetime) -> bool:
    """Whether this runner took the job: its ``next_due_at`` moved from the past to one
    interval from now, by this UPDATE and no other."""
    taken = db.session.execute(  # type: ignore[attr-defined]
        update(JobRun)
        .where(JobRun.name == job.name, JobRun.next_due_at <= now)
        .values(
            next_due_at=now + job.every,
            started_at=now,
            runs=JobRun.runs + 1,
            outcome="running",
            message=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(taken)


def run_job(job: PeriodicJob) -> Ran:
    """Run one job as a unit of work of its own and record how it went."""
    try:
        with unit_of_work.transaction():
            message = job.run()
        ok = True
    except Exception as error:
        current_app.logger.exception("Periodic job %s failed", job.name)
        message, ok = f"{type(error).__name__}: {error}"[:500], False
    with unit_of_work.transaction():
        db.session.execute(
            update(JobRun)
            .where(JobRun.name == job.name)
            .values(finished_at=utcnow(), outcome="ok" if ok else "failed", message=message)
            .execution_options(synchronize_session=False)
        )
    return Ran(job.name, ok, message)


def run_due(now: datetime | None = None) -> list[Ran]:
    """Run every periodic job that is due (each taken in a committed transaction of its
    own before it runs); return what ran."""
    now = now or utcnow()
    with unit_of_work.transaction():
        _ensure_rows(now)
    ran = []
    for name in sorted(PERIODIC):
        job = PERIODIC[name]
        with unit_of_work.transaction():
            taken = _take(job, now)
        if taken:
            ran.append(run_job(job))
    return ran


def schedule() -> list[JobRun]:
    """The stored schedule, one row per job that has been due at least once."""
    return list(db.session.scalars(select(JobRun).order_by(JobRun.name)))
