"""Remediation before a retake (``quiz.yaml`` ``retake_requires_review``,
``retake_after_hours``).

After a failed attempt, a new one waits until

* ``retake_after_hours`` have passed since the failed attempt was graded (403
  ``retake_wait``, with the time), and
* with ``retake_requires_review``, the learner has opened again, after the failed attempt,
  every lesson that teaches an objective they missed in it (403 ``review_required``, with
  the lessons to reopen).

A coordinator's grant gives more attempts, not a way round these: the learner still
studies what they missed before using it. Lesson openings are recorded by
:func:`note_opened` (the lesson page and the lesson API); deciding costs two queries
(the last graded attempt with its missed objectives; the lessons with their last opening).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import BindParameter

from training.accounts.models import User
from training.catalog import cache
from training.catalog.cache import LessonText
from training.catalog.models import Lesson, ModuleVersion, Question, in_language
from training.database import UTCDateTime, isoformat_z, utcnow
from training.errors import Forbidden
from training.extensions import db
from training.i18n import current_language
from training.progress.models import LessonView
from training.progress.modules import ModuleView
from training.quizzes.models import IN_PROGRESS, Attempt, AttemptAnswer


class ReviewRequired(Forbidden):
    """A retake waits for the learner to reopen the lessons of the objectives missed."""

    code = "review_required"


class RetakeWait(Forbidden):
    """A retake waits for the quiz's ``retake_after_hours`` since the failed attempt."""

    code = "retake_wait"


@dataclass
class Hold:
    """Why the learner may not retake yet: the lessons still to reopen, the time to wait."""

    lessons: list[dict[str, Any]]
    retry_at: datetime | None

    def error(self) -> Forbidden:
        if self.retry_at is not None:
            when = self.retry_at.strftime("%Y-%m-%d %H:%M")
            return RetakeWait(
                _("Podrá volver a intentarlo a partir del %(time)s UTC.", time=when),
                details={"reason": "retake_wait", "retry_at": isoformat_z(self.retry_at)},
            )
        titles = ", ".join(lesson["title"] for lesson in self.lessons)
        return ReviewRequired(
            _(
                "Antes de volver a intentarlo, abra de nuevo las lecciones de los objetivos "
                "que no alcanzó: %(lessons)s",
                lessons=titles,
            ),
            details={"reason": "review_required", "lessons": self.lessons},
        )


def note_opened(user: User, lesson: Lesson | LessonText | int) -> None:
    """Record that ``user`` opened ``lesson`` (or the lesson of that id) now (one
    statement, safe under races).

    Only what :func:`hold` asks matters: whether the lesson was opened after the
    learner's last graded attempt at its module. So the row is written only when that is
    not already known (no row yet, or one not newer than an attempt submitted since):
    re-reading a lesson is otherwise a read, with nothing to commit.
    """
    lesson_id = lesson if isinstance(lesson, int) else lesson.id
    dialect = db.session.get_bind().dialect.name
    db.session.execute(
        _opening_statement(dialect),
        {"user_id": user.id, "lesson_id": lesson_id, "now": utcnow()},
    )


@functools.cache
def _opening_statement(dialect: str) -> Any:
    """:func:`note_opened`'s statement for ``dialect``, built once."""
    user_id: BindParameter[int] = bindparam("user_id", type_=Integer())
    lesson_id: BindParameter[int] = bindparam("lesson_id", type_=Integer())
    now: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    graded_since = (
        select(Attempt.id)
        .join(ModuleVersion, ModuleVersion.module_id == Attempt.module_id)
        .join(Lesson, Lesson.module_version_id == ModuleVersion.id)
        .where(
            Lesson.id == lesson_id,
            Attempt.user_id == user_id,
            or_(
                Attempt.submitted_at >= LessonView.opened_at,
                and_(Attempt.submitted_at.is_(None), Attempt.status != IN_PROGRESS),
            ),
        )
    )
    current = select(LessonView.id).where(
        LessonView.user_id == user_id, LessonView.lesson_id == lesson_id, ~graded_since.exists()
    )
    values = select(user_id, lesson_id, now).where(~current.exists())
    # On the table, not the mapped class: with parameters given at execution, an ORM
    # insert would be taken for a bulk insert of rows.
    table = LessonView.__table__
    statement = insert(table).from_select(["user_id", "lesson_id", "opened_at"], values)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "lesson_id"], set_={"opened_at": now}
    )


def _failure_in(attempts: Sequence[Attempt]) -> tuple[datetime, set[str]] | None:
    """:func:`_last_failure` from the learner's attempts at the module, already loaded
    (one query for the answers of a failed last attempt, none otherwise)."""
    graded = [attempt for attempt in attempts if attempt.status != IN_PROGRESS]
    if not graded:
        return None
    last = max(graded, key=lambda attempt: attempt.number)
    if last.passed:
        return None
    rows = db.session.execute(
        select(Question.objective, AttemptAnswer.correct)
        .join(Question, Question.id == AttemptAnswer.question_id)
        .where(AttemptAnswer.attempt_id == last.id)
    ).all()
    missed = {row.objective for row in rows if row.objective and not row.correct}
    return last.submitted_at or utcnow(), missed


def _last_failure(user: User, module_id: int) -> tuple[datetime, set[str]] | None:
    """When the learner's last graded attempt at the module was graded and the objectives
    they missed in it; None if they have none or it passed."""
    last = (
        select(Attempt.id)
        .where(
            Attempt.user_id == user.id,
            Attempt.module_id == module_id,
            Attempt.status != IN_PROGRESS,
        )
        .order_by(Attempt.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Attempt.submitted_at, Attempt.passed, Question.objective, AttemptAnswer.correct)
        .outerjoin(AttemptAnswer, AttemptAnswer.attempt_id == Attempt.id)
        .outerjoin(Question, Question.id == AttemptAnswer.question_id)
        .where(Attempt.id == last)
    ).all()
    if not rows or rows[0].passed:
        return None
    missed = {row.objective for row in rows if row.objective and not row.correct}
    return rows[0].submitted_at or utcnow(), missed


def hold(user: User, view: ModuleView, attempts: Sequence[Attempt] | None = None) -> Hold | None:
    """Why ``user`` may not start a new attempt at ``view``'s module yet, or None.
    ``attempts``: the learner's attempts at the module when the caller has them."""
    version = view.version
    if not version.retake_requires_review and not version.retake_after_hours:
        return None
    failure = _failure_in(attempts) if attempts is not None else _last_failure(user, view.module.id)
    if failure is None:
        return None
    failed_at, missed = failure
    if version.retake_after_hours:
        retry_at = failed_at + timedelta(hours=version.retake_after_hours)
        if utcnow() < retry_at:
            return Hold(lessons=[], retry_at=retry_at)
    if not version.retake_requires_review or not missed:
        return None
    taught = [item for item in cache.lessons(version) if missed & set(item.objectives)]
    opened = dict(
        db.session.execute(
            select(LessonView.lesson_id, LessonView.opened_at).where(
                LessonView.user_id == user.id,
                LessonView.lesson_id.in_([item.id for item in taught]),
            )
        ).all()
        if taught
        else []
    )
    pending = [
        item for item in taught if opened.get(item.id) is None or opened[item.id] <= failed_at
    ]
    if not pending:
        return None
    language = current_language()
    return Hold(
        lessons=[
            {
                "number": row.number,
                "title": in_language(row.title, language),
                "url": url_for("progress.show_lesson", slug=view.slug, number=row.number),
            }
            for row in pending
        ],
        retry_at=None,
    )
