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

import queue
import smtplib
import threading
import time
from datetime import timedelta
from email.message import EmailMessage

from flask import Flask, current_app
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from training import unit_of_work
from training.database import utcnow
from training.extensions import db
from training.mail.models import OutboxMessage

# session.info key: the messages to send once the session's transaction commits.
PENDING = "training.mail.pending"
# Messages waiting for the process's delivery thread; beyond this, mail retry sends them.
QUEUE_LIMIT = 10_000
# mail retry leaves younger queued messages to the delivery thread.
RETRY_QUEUED_AFTER = timedelta(minutes=10)

_queue: queue.Queue[tuple[Flask, int]] = queue.Queue(maxsize=QUEUE_LIMIT)
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


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


def deliver(message_id: int) -> bool | None:
    """Send one outbox message over SMTP and commit the outcome: True sent, False
    failed (with the reason), None when there was nothing to send. No transaction (nor
    database connection) is held while the mail server talks: the message is read in a
    unit of work of its own, and its outcome is written in another."""
    with unit_of_work.transaction():
        message = db.session.get(OutboxMessage, message_id)
        if message is None or message.status == "sent":
            return None
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
            )
        )
    return error is None


def retry_failed() -> tuple[int, int]:
    """Send again every failed message, and those queued for longer than
    :data:`RETRY_QUEUED_AFTER` (a stopped worker's; younger ones are on their way);
    return (sent, still failing). Commits as it goes."""
    if not current_app.config.get("MAIL_SERVER"):
        return (0, 0)
    waiting_since = utcnow() - RETRY_QUEUED_AFTER
    pending = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            or_(
                OutboxMessage.status == "failed",
                and_(OutboxMessage.status == "queued", OutboxMessage.created_at < waiting_since),
            )
        )
        .order_by(OutboxMessage.id)
    ).all()
    outcomes = [deliver(message_id) for message_id in pending]
    sent = outcomes.count(True)
    return (sent, outcomes.count(False))


def _after_commit(session: Session) -> None:
    ids = session.info.pop(PENDING, None)
    if not ids:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["MAIL_IN_BACKGROUND"]:
        _deliver_all(app, ids)
        return
    _start_worker()
    for message_id in ids:
        try:
            _queue.put_nowait((app, message_id))
        except queue.Full:
            app.logger.warning(
                "Mail #%s stays queued (the delivery queue is full); mail retry sends it",
                message_id,
            )


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # Only the whole transaction's rollback drops its messages, not a savepoint's.
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)


def _deliver_all(app: Flask, ids: list[int]) -> None:
    """Send the given messages in an application context (and a session) of their own."""
    with app.app_context():
        for message_id in ids:
            try:
                deliver(message_id)  # rolled back if it raises
            except Exception:  # the database went away: the message stays for mail retry
                app.logger.exception("Mail #%s not delivered; mail retry sends it", message_id)


def _work() -> None:
    """The process's one delivery thread: messages one at a time, in commit order."""
    while True:
        app, message_id = _queue.get()
        try:
            _deliver_all(app, [message_id])
        finally:
            _queue.task_done()


def _start_worker() -> None:
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="mail-delivery", daemon=True)
            _worker.start()


def wait_for_deliveries(timeout: float = 10.0) -> None:
    """Wait until the delivery thread has handled everything queued so far (tests)."""
    deadline = time.monotonic() + timeout
    while _queue.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.01)


def connect() -> None:
    """Send queued messages after each commit (connecting twice is harmless)."""
    for name, listener in (
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
