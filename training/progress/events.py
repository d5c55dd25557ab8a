"""The learning event log (xAPI statements are built from it in ``xapi``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from training import authz
from training.accounts.models import User
from training.database import utcnow
from training.extensions import db
from training.progress.models import LearningEvent


def record_event(
    user: User,
    verb: str,
    object_type: str,
    object_key: str,
    object_name: dict[str, str],
    *,
    module_version_id: int | None = None,
    attempt_id: int | None = None,
    result: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> LearningEvent:
    event = LearningEvent(
        user_id=user.id,
        ministry_id=user.ministry_id,
        verb=verb,
        object_type=object_type,
        object_key=object_key,
        object_name=dict(object_name or {}),
        module_version_id=module_version_id,
        attempt_id=attempt_id,
        result=result,
        occurred_at=occurred_at or utcnow(),
    )
    db.session.add(event)
    return event


def events(actor: Any, *, limit: int = 500, offset: int = 0) -> tuple[list[LearningEvent], int]:
    user = authz.authenticated(actor)
    total = (
        db.session.scalar(
            select(func.count(LearningEvent.id)).where(LearningEvent.user_id == user.id)
        )
        or 0
    )
    rows = db.session.scalars(
        select(LearningEvent)
        .where(LearningEvent.user_id == user.id)
        .order_by(LearningEvent.occurred_at, LearningEvent.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total
