"""Catalogue models. A ModuleVersion and everything under it never changes once written:
new content makes a new version, so attempts and certificates keep pointing at exactly
what the learner saw. Texts are stored per language as JSON objects ``{"es": ..., "en": ...}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.database import UTCDateTime, utcnow
from training.extensions import db

Translated = dict[str, str]

REVIEW_IMMEDIATE = "immediate"
REVIEW_AFTER_PASS_OR_LAST = "after_pass_or_last_attempt"  # noqa: S105 - not a secret
REVIEW_POLICIES = (REVIEW_IMMEDIATE, REVIEW_AFTER_PASS_OR_LAST)


def in_language(texts: Translated | None, language: str) -> str:
    """The text in ``language``, falling back to Spanish (the reference language)."""
    if not texts:
        return ""
    return texts.get(language) or texts.get("es") or next(iter(texts.values()), "")


class Module(db.Model):  # type: ignore[name-defined]
    """A unit of training, identified by its slug across all its versions."""

    __tablename__ = "module"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    # The version new learners get; learners who started an older one keep theirs.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_version.id", use_alter=True, name="fk_module_current_version_id")
    )
    # False once the module's folder is gone from the content: kept for history.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    current_version: Mapped[ModuleVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[ModuleVersion]] = relationship(
        back_populates="module",
        foreign_keys="ModuleVersion.module_id",
        order_by="ModuleVersion.number",
    )


class ModuleVersion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "module_version"
    __table_args__ = (
        UniqueConstraint("module_id", "number"),
        UniqueConstraint("module_id", "content_hash"),
        CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark"),
        CheckConstraint("max_attempts >= 1", name="max_attempts"),
        CheckConstraint("questions_per_attempt >= 1", name="questions_per_attempt"),
        CheckConstraint("review IN ('immediate', 'after_pass_or_last_attempt')", name="review"),
        CheckConstraint("retake_after_hours >= 0", name="retake_after_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[Translated] = mapped_column(JSON)
    summary: Mapped[Translated] = mapped_column(JSON)
    # ``[{"id": "act-means-purpose", "es": ..., "en": ...[, "fr": ...]}, ...]``: ids are
    # stable across versions (questions and lessons name them).
    objectives: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    prerequisites: Mapped[list[str]] = mapped_column(JSON)
    topics: Mapped[list[str]] = mapped_column(JSON)
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    hours: Mapped[int] = mapped_column(Integer)
    job_aid_title: Mapped[Translated] = mapped_column(JSON)
    job_aid_html: Mapped[Translated] = mapped_column(JSON)
    pass_mark: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    time_limit_s: Mapped[int | None] = mapped_column(Integer)
    questions_per_attempt: Mapped[int] = mapped_column(Integer)
    # What a graded attempt shows (see REVIEW_POLICIES), whether a retake after a failure
    # waits for the learner to reopen the missed objectives' lessons, and how long.
    review: Mapped[str] = mapped_column(
        String(40), default=REVIEW_AFTER_PASS_OR_LAST, server_default=REVIEW_AFTER_PASS_OR_LAST
    )
    retake_requires_review: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    retake_after_hours: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    module: Mapped[Module] = relationship(back_populates="versions", foreign_keys=[module_id])

    def objective_texts(self, language: str) -> list[str]:
        """The objectives' texts in ``language`` (Spanish when it has none)."""
        return [in_language(objective, language) for objective in self.objectives]

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module_version",
        order_by="Lesson.number",
        cascade="all, delete-orphan",
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="module_version",
        order_by="Question.position",
        cascade="all, delete-orphan",
    )


class Lesson(db.Model):  # type: ignore[name-defined]
    __tablename__ = "lesson"
    __table_args__ = (
        UniqueConstraint("module_version_id", "number"),
        CheckConstraint("kind IN ('lesson', 'case_study')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_version.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[Translated] = mapped_column(JSON)
    html: Mapped[Translated] = mapped_column(JSON)
    word_count: Mapped[dict[str, int]] = mapped_column(JSON)
    # Ids of the module version's objectives this lesson teaches.
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    module_version: Mapped[ModuleVersion] = relationship(back_populates="lessons")


class Question(db.Model):  # type: ignore[name-defined]
    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("module_version_id", "key"),
        CheckConstraint(
            "type IN ('single', 'multiple', 'true_false', 'scenario')",
            name="type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(40))
    # The objective id this question assesses; null for questions loaded before
    # objectives existed (their attempts keep their scores).
    objective: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[Translated] = mapped_column(JSON)
    explanation: Mapped[Translated] = mapped_column(JSON)
    # type scenario only: {"start": step id, "steps": [...]} (see training.quizzes.scenarios);
    # a scenario has no Choice rows.
    scenario: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    module_version: Mapped[ModuleVersion] = relationship(back_populates="questions")
    choices: Mapped[list[Choice]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan"
    )


class Choice(db.Model):  # type: ignore[name-defined]
    __tablename__ = "choice"
    __table_args__ = (UniqueConstraint("question_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[Translated] = mapped_column(JSON)
    feedback: Mapped[Translated] = mapped_column(JSON)

    question: Mapped[Question] = relationship(back_populates="choices")


class ContentAsset(db.Model):  # type: ignore[name-defined]
    """An image used by lessons, stored by its SHA-256 so that every version that
    uses it points at the same immutable bytes."""

    __tablename__ = "content_asset"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Program(db.Model):  # type: ignore[name-defined]
    """One version of the curriculum that earns a certificate.

    A program is versioned like a module: when ``program.yaml`` changes what it takes to
    earn the certificate (its modules, pass mark or hours), ``content sync`` writes a new
    row with the same slug and the next ``version`` and marks the old one superseded.
    Cohorts, completions and certificates point at the row they were made for, so a
    learner in progress keeps the program they started and a certificate names the
    version it certifies. At most one row per slug is current (``superseded_at`` NULL).
    """

    __tablename__ = "program"
    __table_args__ = (
        CheckConstraint("min_score BETWEEN 0 AND 100", name="min_score"),
        CheckConstraint("version >= 1", name="version"),
        UniqueConstraint("slug", "version"),
        Index(
            "uq_program_current_slug",
            "slug",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
            sqlite_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[Translated] = mapped_column(JSON)
    description: Mapped[Translated] = mapped_column(JSON)
    min_score: Mapped[int] = mapped_column(Integer)
    hours: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    program_modules: Mapped[list[ProgramModule]] = relationship(
        order_by="ProgramModule.position", cascade="all, delete-orphan"
    )

    @property
    def modules(self) -> list[Module]:
        return [row.module for row in self.program_modules]

    @property
    def current(self) -> bool:
        return self.superseded_at is None


def current_programs() -> Any:
    """A SELECT of the current version of every program, oldest program first."""
    return select(Program).where(Program.superseded_at.is_(None)).order_by(Program.id)


def first_program_id() -> Any:
    """A scalar subquery: the id of the current version of the first program (the one
    the reports and the learner's home page show when none is named)."""
    first_slug = select(Program.slug).order_by(Program.id).limit(1).scalar_subquery()
    return (
        select(Program.id)
        .where(Program.slug == first_slug, Program.superseded_at.is_(None))
        .scalar_subquery()
    )


def versions_of(program_id: Any) -> Any:
    """A SELECT of the ids of every version of the program ``program_id`` belongs to."""
    slug = select(Program.slug).where(Program.id == program_id).scalar_subquery()
    return select(Program.id).where(Program.slug == slug)


class ProgramModule(db.Model):  # type: ignore[name-defined]
    __tablename__ = "program_module"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("program.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    module: Mapped[Module] = relationship()
