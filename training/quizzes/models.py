from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.catalog.models import ModuleVersion, Question
from training.database import UTCDateTime, utcnow
from training.extensions import db

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"
EXPIRED = "expired"


class Attempt(db.Model):  # type: ignore[name-defined]
    """One quiz attempt. Its questions and choice order are frozen when it starts.

    At most one attempt per learner and module is in progress: a partial unique index
    enforces it, so that two simultaneous "start" requests cannot create two.
    """

    __tablename__ = "attempt"
    __table_args__ = (
        CheckConstraint("status IN ('in_progress', 'submitted', 'expired')", name="status"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score"),
        UniqueConstraint("user_id", "module_id", "number"),
        Index(
            "uq_attempt_one_in_progress",
            "user_id",
            "module_id",
            unique=True,
            postgresql_where=text("status = 'in_progress'"),
            sqlite_where=text("status = 'in_progress'"),
        ),
        # A ministry's or a version's graded attempts in score order (item analyses).
        Index(
            "ix_attempt_ministry_version_score",
            "ministry_id",
            "module_version_id",
            "score",
            "id",
            "status",
        ),
        Index("ix_attempt_version_score", "module_version_id", "score", "id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_version.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    module_version: Mapped[ModuleVersion] = relationship()
    items: Mapped[list[AttemptQuestion]] = relationship(
        order_by="AttemptQuestion.position",
        cascade="all, delete-orphan",
        lazy="selectin",
        back_populates="attempt",
    )
    answers: Mapped[list[AttemptAnswer]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="attempt"
    )

    @property
    def closed(self) -> bool:
        return self.status != IN_PROGRESS


class AttemptQuestion(db.Model):  # type: ignore[name-defined]
    """A question drawn for an attempt, at its position, with its choices' order."""

    __tablename__ = "attempt_question"

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    choice_order: Mapped[list[int]] = mapped_column(JSON)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    question: Mapped[Question] = relationship(lazy="joined")


class AttemptAnswer(db.Model):  # type: ignore[name-defined]
    """The choices a learner selected for one question; graded at submission.

    For a scenario, ``path`` holds the option ids chosen, one per step walked, in order
    (decisions are added one at a time and never changed); ``choice_ids`` stays empty.
    """

    __tablename__ = "attempt_answer"
    # The item analyses read the credit of a graded attempt's answers from this index.
    __table_args__ = (
        Index("ix_attempt_answer_attempt_credit", "attempt_id", "question_id", "credit"),
    )

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    choice_ids: Mapped[list[int]] = mapped_column(JSON)
    path: Mapped[list[str] | None] = mapped_column(JSON)
    credit: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")


class AttemptGrant(db.Model):  # type: ignore[name-defined]
    """Extra attempts a coordinator granted to a learner for a module."""

    __tablename__ = "attempt_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    extra: Mapped[int] = mapped_column(Integer, default=1)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@dataclass(frozen=True)
class Answer:
    """What a learner says about one question: its content id and the chosen choice ids."""

    question: str
    choices: tuple[str, ...]
