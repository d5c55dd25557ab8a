from __future__ import annotations

import click
from flask.cli import AppGroup

from training.database import isoformat_z
from training.jobs import periodic
from training.jobs.registry import PERIODIC

jobs_cli = AppGroup("jobs", help="Periodic and background jobs.")


@jobs_cli.command("run-due")
def run_due() -> None:
    """Run the periodic jobs that are due (mail sweep every 5 minutes, link checks
    daily), each in a unit of work of its own. Meant for cron, every minute, where no
    Celery beat runs; two runs at once never run the same job twice. Exits 1 when a job
    failed."""
    ran = periodic.run_due()
    for outcome in ran:
        click.echo(f"{outcome.name}: {'ok' if outcome.ok else 'FAILED'}: {outcome.message}")
    if not ran:
        click.echo("No job is due.")
    if any(not outcome.ok for outcome in ran):
        raise SystemExit(1)


@jobs_cli.command("list")
def list_jobs() -> None:
    """The periodic jobs: how often each runs, when it is due next, its last outcome."""
    stored = {row.name: row for row in periodic.schedule()}
    for name, job in sorted(PERIODIC.items()):
        row = stored.get(name)
        due = isoformat_z(row.next_due_at) if row else "now"
        last = (
            f"{row.outcome} at {isoformat_z(row.started_at)}"
            if row and row.started_at
            else "never run"
        )
        click.echo(f"{name}  every {job.every}  next {due}  last {last}")
        click.echo(f"    {job.description}")
