from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from training.database import UTCDateTime, utcnow
from training.extensions import db

QUEUED, READY, FAILED = "queued", "ready", "failed"


class Export(db.Model):  # type: ignore[name-defined]
    """A download being prepared, or ready, for the user who asked for it. ``id`` is
    unguessable; ``params`` are the filters of the original request; the file is
    ``EXPORTS_PATH/<id>.<extension>`` once ``status`` is ready, until ``expires_at``."""

    __tablename__ = "export"
    __table_args__ = (CheckConstraint("status IN ('queued', 'ready', 'failed')", name="status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
