from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from training.database import UTCDateTime, utcnow
from training.extensions import db


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    """Every message the platform sends. ``status``: queued (no SMTP configured, or
    waiting), sent, or failed (SMTP refused it; ``error`` says why). ``attempts`` counts
    the SMTP conversations tried; ``locked_until`` is set while one is under way, so that
    two workers (a retried task and the sweep) never send the same message at once."""

    __tablename__ = "outbox_message"
    __table_args__ = (CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
