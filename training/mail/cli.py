from __future__ import annotations

import click
from flask.cli import AppGroup

from training.extensions import db
from training.mail import services
from training.mail.models import OutboxMessage
from training.unit_of_work import transactional

mail_cli = AppGroup("mail", help="Read the outbox and send pending mail.")


@mail_cli.command("outbox")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
def outbox(limit: int) -> None:
    """Print the newest messages of the outbox, bodies included."""
    messages = db.session.scalars(
        db.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    ).all()
    if not messages:
        click.echo("The outbox is empty.")
    for message in messages:
        click.echo(f"#{message.id} [{message.status}] to {message.recipient}: {message.subject}")
        click.echo(message.body)
        click.echo("-" * 60)


@mail_cli.command("retry")
@transactional
def retry() -> None:
    """Send now every failed message (however often it was tried) and every one queued
    for over ten minutes (needs MAIL_SERVER): for an operator who has just repaired the
    mail settings. Not for cron: the periodic mail sweep (`flask jobs run-due`, or Celery
    beat) retries failed mail on its own."""
    sent, failing = services.retry_failed()
    click.echo(f"{sent} sent, {failing} still failing.")
    if failing:
        raise SystemExit(1)
