from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from training.database import UTCDateTime, utcnow
from training.extensions import db


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Who did what to which record, when and why. Rows are never updated or deleted:
    the ORM refuses it here, and database triggers (see the migration) refuse it there.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_ministry_occurred", "ministry_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    ministry_id: Mapped[int | None] = mapped_column(ForeignKey("ministry.id"))
    address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise RuntimeError("audit events are append-only")
