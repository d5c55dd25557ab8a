from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.database import UTCDateTime, utcnow
from training.extensions import db


class LessonProgress(db.Model):  # type: ignore[name-defined]
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_version.id"))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModuleProgress(db.Model):  # type: ignore[name-defined]
    """A learner's progress on one module version: the version they started is the one
    they keep until they finish it."""

    __tablename__ = "module_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "module_version_id"),
        # The newest row of a learner and module in one index seek (reports).
        Index("ix_module_progress_user_module_started", "user_id", "module_id", "started_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_version.id"))
    lessons_read: Mapped[int] = mapped_column(Integer, default=0)
    best_score: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def status(self) -> str:
        return "completed" if self.completed_at else "in_progress"


class ProgramCompletion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "program_completion"
    __table_args__ = (UniqueConstraint("user_id", "program_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProgramEnrolment(db.Model):  # type: ignore[name-defined]
    """Which version of a program a learner follows: pinned to the current version when
    they first start a module of it, and moved to a cohort's version when a coordinator
    adds them to a cohort. A new version of the program therefore never changes what a
    learner already on their way must complete."""

    __tablename__ = "program_enrolment"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    program_slug: Mapped[str] = mapped_column(String(60), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _statement_id() -> str:
    return str(uuid.uuid4())


class LearningEvent(db.Model):  # type: ignore[name-defined]
    """Append-only record of learning, one row per xAPI statement.

    ``verb``: launched, experienced, answered, passed, failed, completed. ``object_type``
    and ``object_key`` name what it is about: ``module`` + slug, ``lesson`` +
    ``slug/number``, ``question`` + ``slug/key``, ``program`` + slug.
    """

    __tablename__ = "learning_event"
    __table_args__ = (Index("ix_learning_event_user_occurred", "user_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True, default=_statement_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), index=True)
    verb: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(20))
    object_key: Mapped[str] = mapped_column(String(200))
    object_name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    module_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_version.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LessonView(db.Model):  # type: ignore[name-defined]
    """When a learner last opened a lesson (its page or through the API): a retake after a
    failure waits until the lessons of the missed objectives were opened after it."""

    __tablename__ = "lesson_view"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
