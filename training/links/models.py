"""The external course registry (IOM's virtual course first).

* :class:`ExternalCourse`: a course on another site. ``ministry_id`` NULL means registered
  by a platform administrator and visible to every ministry; otherwise it belongs to,
  and is visible to, that ministry only.
* :class:`ExternalCourseCredit`: a ministry counts the course toward the program (one
  row per ministry and course, set by that ministry's coordinators).
* :class:`ExternalLaunch`: a learner followed the link (``/go/<id>``).
* :class:`ExternalCompletion`: a learner completed the course: self-reported (with
  optional evidence) or imported from the provider's list; verified or rejected by a
  coordinator of the learner's ministry.
* :class:`ExternalLinkCheck`: the health-check history of each course's URL.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.catalog.models import Module, Translated, in_language
from training.database import UTCDateTime, utcnow
from training.extensions import db
from training.ministries.models import Ministry

REPORTED = "reported"
VERIFIED = "verified"
REJECTED = "rejected"
COMPLETION_STATUSES = (REPORTED, VERIFIED, REJECTED)

SELF_REPORTED = "self_reported"
IMPORTED = "imported"


class ExternalCourse(db.Model):  # type: ignore[name-defined]
    """A course on another site that complements the modules."""

    __tablename__ = "external_course"
    __table_args__ = (CheckConstraint("language IN ('es', 'en', 'fr')", name="language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: registered by an administrator, visible to every ministry.
    ministry_id: Mapped[int | None] = mapped_column(ForeignKey("ministry.id"), index=True)
    provider: Mapped[str] = mapped_column(String(120))
    title: Mapped[Translated] = mapped_column(JSON)
    description: Mapped[Translated] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(2000))
    # The language the course itself is taught in.
    language: Mapped[str] = mapped_column(String(2))
    # False once withdrawn: launches and completions stay for the record.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ministry: Mapped[Ministry | None] = relationship(lazy="joined")
    course_modules: Mapped[list[ExternalCourseModule]] = relationship(
        cascade="all, delete-orphan", order_by="ExternalCourseModule.module_id"
    )

    @property
    def modules(self) -> list[Module]:
        return [row.module for row in self.course_modules]

    def title_in(self, language: str) -> str:
        return in_language(self.title, language)

    def description_in(self, language: str) -> str:
        return in_language(self.description, language) if self.description else ""

    def __repr__(self) -> str:
        return f"<ExternalCourse {self.id}>"


class ExternalCourseModule(db.Model):  # type: ignore[name-defined]
    """A module the external course complements."""

    __tablename__ = "external_course_module"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("external_course.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), primary_key=True)

    module: Mapped[Module] = relationship(lazy="joined")


class ExternalCourseCredit(db.Model):  # type: ignore[name-defined]
    """The ministry counts the course toward the program."""

    __tablename__ = "external_course_credit"

    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("external_course.id", ondelete="CASCADE"), primary_key=True
    )
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExternalLaunch(db.Model):  # type: ignore[name-defined]
    """A learner followed the course's link."""

    __tablename__ = "external_launch"
    __table_args__ = (Index("ix_external_launch_course_user", "course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("external_course.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), index=True)
    launched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExternalCompletion(db.Model):  # type: ignore[name-defined]
    """One learner's completion of one external course (at most one row per pair: a
    rejected report is replaced by the next one)."""

    __tablename__ = "external_completion"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        CheckConstraint("status IN ('reported', 'verified', 'rejected')", name="status"),
        CheckConstraint("source IN ('self_reported', 'imported')", name="source"),
        CheckConstraint(
            "evidence_type IS NULL OR evidence_type IN "
            "('application/pdf', 'image/png', 'image/jpeg')",
            name="evidence_type",
        ),
        Index("ix_external_completion_ministry_status", "ministry_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("external_course.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"))
    status: Mapped[str] = mapped_column(String(10), default=REPORTED)
    source: Mapped[str] = mapped_column(String(15), default=SELF_REPORTED)
    completed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(1000))
    # The evidence file is stored under instance/evidence/<ministry id>/<evidence_name>;
    # the name is random, never the uploaded one.
    evidence_name: Mapped[str | None] = mapped_column(String(64))
    evidence_type: Mapped[str | None] = mapped_column(String(40))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(String(500))

    course: Mapped[ExternalCourse] = relationship()


class ExternalLinkCheck(db.Model):  # type: ignore[name-defined]
    """One health check of a course's URL (``flask links check``)."""

    __tablename__ = "external_link_check"
    __table_args__ = (Index("ix_external_link_check_course_checked", "course_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("external_course.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    ok: Mapped[bool] = mapped_column(Boolean)
