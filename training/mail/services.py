"""Sending mail without ever losing a message.

Every message is first written to the outbox table. When ``MAIL_SERVER`` is configured
it is then sent over SMTP and marked sent (or failed, with the reason, for a later
``flask mail retry``); without SMTP it stays queued and the log says where to read it.
The body is not written to the log: it may hold a single-use link.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from training.database import utcnow
from training.extensions import db
from training.mail.models import OutboxMessage


def send(recipient: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, status="queued")
    db.session.add(message)
    db.session.flush()
    if current_app.config.get("MAIL_SERVER"):
        deliver(message)
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
