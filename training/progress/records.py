"""Recording progress: lessons read, graded attempts folded in, modules and programs
completed (announcing ``program_completed``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from training import signals
from training.accounts.models import User
from training.catalog import cache
from training.catalog.cache import LessonText
from training.catalog.models import Module
from training.database import utcnow
from training.extensions import db
from training.progress.events import record_event
from training.progress.models import LessonProgress, ModuleProgress, ProgramCompletion
from training.progress.modules import ModuleView, learner, lesson, module_view
from training.progress.programs import followed_programs, pin_on_start
from training.progress.remediation import note_opened
from training.quizzes.models import Attempt


def start_module(user: User, view: ModuleView) -> ModuleProgress:
    """Pin the learner to the version they see now (idempotent, safe under races)."""
    if view.progress is not None and view.progress.module_version_id == view.version.id:
        return view.progress
    row = ModuleProgress(
        user_id=user.id,
        ministry_id=user.ministry_id,
        module_id=view.module.id,
        module_version_id=view.version.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalars(
            select(ModuleProgress).where(
                ModuleProgress.user_id == user.id,
                ModuleProgress.module_version_id == view.version.id,
            )
        ).one()
    view.progress = row
    pin_on_start(user, view.module)
    return row


def mark_lesson_read(actor: Any, slug: str, number: Any) -> tuple[ModuleView, LessonText, bool]:
    """Record that the learner read a lesson. Idempotent: (view, lesson, newly read)."""
    user = learner(actor)
    view = module_view(user, slug)
    item = lesson(view, number)
    note_opened(user, item)
    progress = start_module(user, view)
    exists = db.session.scalar(
        select(LessonProgress.id).where(
            LessonProgress.user_id == user.id, LessonProgress.lesson_id == item.id
        )
    )
    if exists:
        return view, item, False
    try:
        with db.session.begin_nested():
            db.session.add(
                LessonProgress(
                    user_id=user.id, lesson_id=item.id, module_version_id=view.version.id
                )
            )
    except IntegrityError:
        return view, item, False  # the same learner, in another tab, at the same instant
    progress.lessons_read = (
        db.session.scalar(
            select(func.count(LessonProgress.id)).where(
                LessonProgress.user_id == user.id,
                LessonProgress.module_version_id == view.version.id,
            )
        )
        or 0
    )
    record_event(
        user,
        "experienced",
        "lesson",
        f"{view.slug}/{item.number}",
        item.title,
        module_version_id=view.version.id,
    )
    _check_module_completed(user, view)
    db.session.flush()
    return view, item, True


def on_attempt_submitted(sender: Any, *, attempt: Attempt, **extra: Any) -> None:
    """Receiver of ``signals.attempt_submitted`` (connected by :func:`connect_signals`)."""
    record_attempt(db.session.get_one(User, attempt.user_id), attempt)


def connect_signals() -> None:
    """Fold every graded attempt into its learner's progress (connecting twice is harmless)."""
    signals.attempt_submitted.connect(on_attempt_submitted, weak=False)


def record_attempt(user: User, attempt: Attempt) -> None:
    """Fold a graded attempt into the learner's progress: best score, pass, the answered
    questions' events and, when every lesson is read too, the module's completion."""
    version = attempt.module_version
    progress = db.session.scalars(
        select(ModuleProgress).where(
            ModuleProgress.user_id == user.id, ModuleProgress.module_version_id == version.id
        )
    ).one_or_none()
    if progress is None:
        progress = ModuleProgress(
            user_id=user.id,
            ministry_id=user.ministry_id,
            module_id=version.module_id,
            module_version_id=version.id,
        )
        db.session.add(progress)
    if attempt.score is not None and (
        progress.best_score is None or attempt.score > progress.best_score
    ):
        progress.best_score = attempt.score
    if attempt.passed and progress.passed_at is None:
        progress.passed_at = attempt.submitted_at or utcnow()
    for answer in attempt.answers:
        item = next(i for i in attempt.items if i.question_id == answer.question_id)
        record_event(
            user,
            "answered",
            "question",
            f"{version.module.slug}/{item.question.key}",
            item.question.text,
            module_version_id=version.id,
            attempt_id=attempt.id,
            result={
                "success": bool(answer.correct),
                "score": {
                    "scaled": round(answer.credit or 0.0, 4),
                    "raw": round(answer.credit or 0.0, 4),
                    "min": 0,
                    "max": 1,
                },
            },
        )
    record_event(
        user,
        "passed" if attempt.passed else "failed",
        "module",
        version.module.slug,
        version.title,
        module_version_id=version.id,
        attempt_id=attempt.id,
        result={
            "success": bool(attempt.passed),
            "score": {
                "scaled": (attempt.score or 0) / 100,
                "raw": attempt.score or 0,
                "min": 0,
                "max": 100,
            },
        },
    )
    db.session.flush()
    view = ModuleView(module=version.module, version=version, progress=progress)
    _check_module_completed(user, view)


def _check_module_completed(user: User, view: ModuleView) -> None:
    progress = view.progress
    if progress is None or progress.completed_at is not None or progress.passed_at is None:
        return
    if progress.lessons_read < len(cache.lessons(view.version)):
        return
    progress.completed_at = utcnow()
    db.session.flush()
    record_event(
        user,
        "completed",
        "module",
        view.slug,
        view.version.title,
        module_version_id=view.version.id,
        result={
            "completion": True,
            "success": True,
            "score": {
                "scaled": (progress.best_score or 0) / 100,
                "raw": progress.best_score or 0,
                "min": 0,
                "max": 100,
            },
        },
    )
    _check_programs_completed(user, view.module)


def _check_programs_completed(user: User, module: Module) -> None:
    """Complete each program, in the version the learner follows, whose modules are all
    passed: a learner pinned to an older version completes that one, a newer learner
    the current one with every module it adds."""
    programs = followed_programs(user)
    best: dict[int, int] = {}
    for row in db.session.scalars(
        select(ModuleProgress).where(
            ModuleProgress.user_id == user.id, ModuleProgress.completed_at.is_not(None)
        )
    ):
        best[row.module_id] = max(best.get(row.module_id, 0), row.best_score or 0)
    for program in programs:
        module_ids = [row.module_id for row in program.program_modules]
        if module.id not in module_ids:
            continue
        if not all(best.get(module_id, -1) >= program.min_score for module_id in module_ids):
            continue
        try:
            with db.session.begin_nested():
                completion = ProgramCompletion(
                    user_id=user.id, ministry_id=user.ministry_id, program_id=program.id
                )
                db.session.add(completion)
        except IntegrityError:
            continue  # already completed
        record_event(
            user,
            "completed",
            "program",
            program.slug,
            program.title,
            result={"completion": True, "success": True},
        )
        signals.program_completed.send(__name__, user=user, program=program, completion=completion)
