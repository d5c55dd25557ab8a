"""Sending mail without ever losing a message.

Every message is first written to the outbox table, in the transaction of what it is
about. When ``MAIL_SERVER`` is configured it is sent over SMTP once that transaction
commits (never a message about something rolled back), in a background thread, so that
no request waits for a mail server (nor tells by its timing whether it wrote to one);
it is then marked sent, or failed with the reason, for ``flask mail retry`` (which also
sends what a stopped worker left queued). Without SMTP it stays queued and the log says
where to read it. The body is not written to the log: it may hold a single-use link.
"""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from training.database import utcnow
from training.extensions import db
from training.mail.models import OutboxMessage

# session.info key: the messages to send once the session's transaction commits.
PENDING = "training.mail.pending"
_deliveries: list[threading.Thread] = []


def send(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Queue a message in the outbox; it goes out over SMTP after the commit."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, status="queued")
    db.session.add(message)
    db.session.flush()
    if current_app.config.get("MAIL_SERVER"):
        db.session.info.setdefault(PENDING, []).append(message.id)
    else:
        current_app.logger.info(
            "Mail #%s to %s (%r) kept in the outbox: no MAIL_SERVER is configured",
            message.id,
            recipient,
            subject,
        )
    return message


def deliver(message: OutboxMessage) -> None:
    """Try SMTP once; record the outcome on the message."""
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
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
        message.status = "failed"
        message.error = f"{type(error).__name__}: {error}"[:500]
        current_app.logger.warning(
            "Mail #%s to %s failed: %s", message.id, message.recipient, message.error
        )
    else:
        message.status = "sent"
        message.sent_at = utcnow()
        message.error = None
    db.session.flush()


def retry_failed() -> tuple[int, int]:
    """Send again every queued or failed message; return (sent, still failing)."""
    if not current_app.config.get("MAIL_SERVER"):
        return (0, 0)
    pending = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.status != "sent").order_by(OutboxMessage.id)
    ).all()
    for message in pending:
        deliver(message)
    sent = sum(1 for message in pending if message.status == "sent")
    return (sent, len(pending) - sent)


def _after_commit(session: Session) -> None:
    ids = session.info.pop(PENDING, None)
    if not ids:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["MAIL_IN_BACKGROUND"]:
        _deliver_ids(app, ids)
        return
    thread = threading.Thread(
        target=_deliver_ids, args=(app, ids), name="mail-delivery", daemon=True
    )
    _deliveries[:] = [t for t in _deliveries if t.is_alive()]
    _deliveries.append(thread)
    thread.start()


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def _deliver_ids(app: Flask, ids: list[int]) -> None:
    """Send the given outbox messages, in an application context (and a session) of
    their own, committing each outcome."""
    with app.app_context():
        try:
            for message in db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status != "sent")
                .order_by(OutboxMessage.id)
            ):
                deliver(message)
                db.session.commit()
        except Exception:  # a worker thread: log, never raise into nowhere
            db.session.rollback()
            app.logger.exception("Mail delivery of %s stopped; flask mail retry resends", ids)


def wait_for_deliveries(timeout: float = 10.0) -> None:
    """Wait for the background deliveries started so far (tests, shutdown)."""
    for thread in list(_deliveries):
        thread.join(timeout)


def connect() -> None:
    """Send queued messages after each commit (connecting twice is harmless)."""
    for name, listener in (("after_commit", _after_commit), ("after_rollback", _after_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
