"""Sending mail without ever losing a message.

Every message is first written to the outbox table, in the transaction of what it is
about; the outbox row is the truth. When ``MAIL_SERVER`` is configured, the task
``mail.deliver`` is asked for once that transaction commits (never a message about
something rolled back; see :mod:`training.background`): a Celery worker sends it, or, with
no broker, this process right after the response (:mod:`training.jobs`). No request waits
for a mail server, nor tells by its timing whether it wrote to one.

:func:`deliver` is idempotent: a sent message is never sent again, and a lease
(``locked_until``) keeps two workers from sending one message at once. A failure is kept
with its reason and retried with backoff; :func:`sweep`, a periodic job, hands over again
what failed or what a killed worker left queued. Without SMTP a message stays queued and
the log says where to read it. The body is not written to the log: it may hold a
single-use link.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage
from typing import Literal

from flask import current_app
from sqlalchemy import and_, or_, select, update

from training import background, unit_of_work
from training.database import utcnow
from training.extensions import db
from training.mail.models import OutboxMessage

# The background task that sends one message (registered by training.jobs).
DELIVER_TASK = "mail.deliver"
# Queued messages younger than this are on their way; the sweep leaves them alone.
STALE_AFTER = timedelta(minutes=10)
# The sweep stops handing over a failed message after this many SMTP conversations (an
# operator can still send it with `flask mail retry`).
MAX_ATTEMPTS = 10

Outcome = Literal["sent", "failed", "done"]


def send(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Queue a message in the outbox; it goes out over SMTP after the commit."""
    message = OutboxMessage(
        recipient=recipient, subject=subject, body=body, status="queued", attempts=0
    )
    db.session.add(message)
    db.session.flush()
    if current_app.config.get("MAIL_SERVER"):
        background.after_commit(DELIVER_TASK, message.id)
    else:
        current_app.logger.info(
            "Mail #%s to %s (%r) kept in the outbox: no MAIL_SERVER is configured",
            message.id,
            recipient,
            subject,
        )
    return message


def _smtp(recipient: str, subject: str, body: str) -> str | None:
    """One SMTP conversation; the error, or None when the server took the message."""
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = recipient
    email["Subject"] = subject
    email.set_content(body)
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with smtp_class(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        ) as smtp:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None


def deliver(message_id: int) -> Outcome:
    """Send one outbox message over SMTP and commit the outcome: "sent", "failed" (the
    reason kept), or "done" when there is nothing to send (already sent, or gone).
    Raises :class:`~training.background.TryAgain` while another worker holds the
    message's lease. No transaction (nor database connection) is held while the mail
    server talks: the lease is taken in a unit of work of its own, and the outcome is
    written in another."""
    lease = timedelta(seconds=float(current_app.config["MAIL_LEASE_SECONDS"]))
    with unit_of_work.transaction():
        now = utcnow()
        taken = db.session.execute(  # type: ignore[attr-defined]
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status != "sent",
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .values(locked_until=now + lease, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None or message.status == "sent":
            return "done"
        if not taken:
            raise background.TryAgain(f"Mail #{message_id} is being sent by another worker")
        recipient, subject, body = message.recipient, message.subject, message.body
    error = _smtp(recipient, subject, body)
    if error is not None:
        current_app.logger.warning("Mail #%s to %s failed: %s", message_id, recipient, error)
    with unit_of_work.transaction():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status != "sent")
            .values(
                status="failed" if error else "sent",
                error=error,
                sent_at=None if error else utcnow(),
                locked_until=None,
            )
            .execution_options(synchronize_session=False)
        )
    return "failed" if error else "sent"


def deliver_task(message_id: int) -> None:
    """The ``mail.deliver`` task: send the message; a failure is tried again later."""
    if deliver(message_id) == "failed":
        raise background.TryAgain(f"Mail #{message_id} not accepted by the mail server")


def _waiting(*, max_attempts: int | None) -> list[int]:
    """Ids of the failed messages (with fewer than ``max_attempts`` tries, when given)
    and of those queued for longer than :data:`STALE_AFTER`, whose lease is free."""
    now = utcnow()
    failed = OutboxMessage.status == "failed"
    if max_attempts is not None:
        failed = and_(failed, OutboxMessage.attempts < max_attempts)
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    failed,
                    and_(
                        OutboxMessage.status == "queued",
                        OutboxMessage.created_at < now - STALE_AFTER,
                    ),
                ),
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .order_by(OutboxMessage.id)
        )
    )


def sweep() -> int:
    """The periodic mail sweep: hand over again (after the commit) every failed message
    tried fewer than :data:`MAX_ATTEMPTS` times, and every one queued for longer than
    :data:`STALE_AFTER` (a killed worker's, or one whose hand-over failed). Returns how
    many. Nothing without MAIL_SERVER."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0
    waiting = _waiting(max_attempts=MAX_ATTEMPTS)
    for message_id in waiting:
        background.after_commit(DELIVER_TASK, message_id)
    return len(waiting)


def retry_failed() -> tuple[int, int]:
    """Send now, in this process, every failed message (however often it was tried) and
    every one queued for longer than :data:`STALE_AFTER`; return (sent, still failing).
    For an operator who has just repaired the mail settings. Commits as it goes."""
    if not current_app.config.get("MAIL_SERVER"):
        return (0, 0)
    outcomes = []
    for message_id in _waiting(max_attempts=None):
        try:
            outcomes.append(deliver(message_id))
        except background.TryAgain:
            continue  # another worker is sending it right now
    return (outcomes.count("sent"), outcomes.count("failed"))
