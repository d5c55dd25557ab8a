"""Quiz attempts: the rules, enforced on the server.

* A learner has at most one attempt in progress per module (a partial unique index);
  starting twice returns the same attempt.
* Questions are drawn from the bank (every objective asked, unseen questions first on a
  retake: ``training.quizzes.draw``) and their order and choice order frozen at start.
* Nothing about correctness leaves the server before the attempt is graded.
* Submitting claims the attempt with one conditional UPDATE (``... WHERE status =
  'in_progress'``): of two simultaneous submissions, exactly one grades; the other waits
  for it (row lock) and returns the same stored result.
* With a time limit, a submission after ``expires_at`` (plus a grace period for slow
  connections) is refused, and the attempt is closed and graded on its saved answers.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import partial
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from training import authz, signals, unit_of_work
from training.accounts.models import User
from training.catalog.models import ModuleVersion, Question
from training.database import parse_id, utcnow
from training.errors import Conflict, NotFound, ValidationFailed
from training.extensions import db
from training.quizzes import draw, grading
from training.quizzes.models import (
    EXPIRED,
    IN_PROGRESS,
    SUBMITTED,
    Answer,
    Attempt,
    AttemptAnswer,
    AttemptQuestion,
)

# A submission this long after the deadline is still accepted: the learner pressed the
# button in time, the consulate's connection did not.
GRACE = timedelta(seconds=15)
_random = secrets.SystemRandom()

# Everything a page or API answer about an attempt needs, in a fixed number of queries.
ATTEMPT_LOADING = (
    joinedload(Attempt.module_version).joinedload(ModuleVersion.module),
    selectinload(Attempt.items).joinedload(AttemptQuestion.question).selectinload(Question.choices),
    selectinload(Attempt.answers),
)


class AttemptExpired(Conflict):
    """The attempt's time ran out; it has been closed and graded on its saved answers."""

    code = "attempt_expired"


def open_attempt(user: User, version: ModuleVersion, *, number: int) -> tuple[Attempt, bool]:
    """Draw and store attempt ``number`` of ``version`` for ``user``: (attempt, created).

    The caller (``training.progress.attempts.start``) has checked that the learner may
    start one. Of two simultaneous starts, one creates the attempt and the other returns it.
    """
    drawn = draw.draw(
        version.questions,
        [objective["id"] for objective in version.objectives],
        version.questions_per_attempt,
        draw.seen_at(user.id, version) if number > 1 else {},
        _random,
    )
    now = utcnow()
    attempt = Attempt(
        user_id=user.id,
        ministry_id=user.ministry_id,
        module_id=version.module_id,
        module_version=version,
        number=number,
        status=IN_PROGRESS,
        started_at=now,
        expires_at=now + timedelta(seconds=version.time_limit_s) if version.time_limit_s else None,
        items=[
            AttemptQuestion(
                question=question,
                position=position,
                choice_order=_random.sample(
                    [c.id for c in question.choices], k=len(question.choices)
                ),
            )
            for position, question in enumerate(drawn)
        ],
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another request started one at the same instant: return that one.
        existing = db.session.scalars(
            select(Attempt).where(
                Attempt.user_id == user.id,
                Attempt.module_id == version.module_id,
                Attempt.status == IN_PROGRESS,
            )
        ).one_or_none()
        if existing is None:
            raise Conflict(_("Otro intento acaba de empezar; vuelva a cargar la página.")) from None
        return existing, False
    return attempt, True


def get(actor: Any, attempt_id: Any) -> Attempt:
    """The learner's own attempt (404 for anyone else's); closes it if its time is up."""
    user = authz.require(actor, authz.Permission.learn)
    key = parse_id(attempt_id)
    attempt = db.session.get(Attempt, key, options=ATTEMPT_LOADING) if key is not None else None
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(_("No existe ese intento."))
    close_if_expired(attempt)
    return attempt


def history(actor: Any, module_id: int) -> list[Attempt]:
    user = authz.require(actor, authz.Permission.learn)
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.module_id == module_id)
            .order_by(Attempt.number)
        )
    )


def _deadline_passed(attempt: Attempt) -> bool:
    return attempt.expires_at is not None and utcnow() > attempt.expires_at + GRACE


def close_if_expired(attempt: Attempt) -> bool:
    """Close and grade an in-progress attempt whose time is up. True if it is closed."""
    if attempt.status != IN_PROGRESS:
        return True
    if not _deadline_passed(attempt):
        return False
    _grade_and_close(attempt, {}, EXPIRED)
    if unit_of_work.active():
        # The closing is kept even when the request answers the refusal that follows
        # (AttemptExpired, 409) and its transaction is rolled back.
        unit_of_work.surviving(partial(_keep_closed, attempt.id))
    return attempt.status != IN_PROGRESS


def _keep_closed(attempt_id: int, session: Session) -> None:
    """Close an expired attempt again after its request was rolled back (when the
    request's commit kept the closing, the attempt is already closed: nothing to do)."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is not None and attempt.status == IN_PROGRESS and _deadline_passed(attempt):
        _grade_and_close(attempt, {}, EXPIRED)


def _selected_ids(attempt: Attempt, answers: list[Answer]) -> dict[int, list[int]]:
    """Content ids to database ids, refusing anything that is not in this attempt."""
    by_key = {item.question.key: item for item in attempt.items}
    problems: dict[str, list[str]] = {}
    selected: dict[int, list[int]] = {}
    for index, answer in enumerate(answers):
        item = by_key.get(answer.question)
        if item is None:
            problems[f"answers.{index}.question"] = [
                _("La pregunta %(id)s no forma parte de este intento.", id=answer.question[:40])
            ]
            continue
        if item.question_id in selected:
            problems[f"answers.{index}.question"] = [
                _("La pregunta %(id)s tiene dos respuestas.", id=answer.question)
            ]
            continue
        if item.question.type in grading.PATH_GRADERS:
            problems[f"answers.{index}.question"] = [
                _(
                    "La pregunta %(id)s es un caso: se decide paso a paso, no con la entrega.",
                    id=answer.question,
                )
            ]
            continue
        choices = {choice.key: choice.id for choice in item.question.choices}
        unknown = [key for key in answer.choices if key not in choices]
        if unknown or len(set(answer.choices)) != len(answer.choices):
            problems[f"answers.{index}.choices"] = [
                _("Opciones que no son de la pregunta %(id)s o repetidas.", id=answer.question)
            ]
            continue
        if item.question.type != "multiple" and len(answer.choices) > 1:
            problems[f"answers.{index}.choices"] = [
                _("La pregunta %(id)s admite una sola opción.", id=answer.question)
            ]
            continue
        selected[item.question_id] = sorted(choices[key] for key in answer.choices)
    if problems:
        raise ValidationFailed(details={"fields": problems})
    return selected


def _locked(attempt: Attempt) -> Attempt:
    """``attempt`` re-read under a row lock, with its answers as now committed.

    Saving and grading both take this lock first: a save that arrives while the attempt
    is being graded waits, then sees it graded and is refused, so it cannot rewrite the
    answers that were graded.
    """
    db.session.execute(select(Attempt.id).where(Attempt.id == attempt.id).with_for_update())
    return db.session.scalars(
        select(Attempt)
        .where(Attempt.id == attempt.id)
        .options(*ATTEMPT_LOADING)
        .execution_options(populate_existing=True)
    ).one()


def save_answers(actor: Any, attempt_id: Any, answers: list[Answer]) -> Attempt:
    """Keep the learner's answers so far without grading (for time-limited attempts and
    for coming back later)."""
    attempt = _locked(get(actor, attempt_id))
    if attempt.status == EXPIRED:
        raise AttemptExpired(_("El tiempo del intento terminó."))
    if attempt.status != IN_PROGRESS:
        raise Conflict(_("Este intento ya se entregó."))
    selected = _selected_ids(attempt, answers)
    saved = {answer.question_id: answer for answer in attempt.answers}
    now = utcnow()
    for question_id, choice_ids in selected.items():
        if question_id in saved:
            saved[question_id].choice_ids = choice_ids
            saved[question_id].saved_at = now
        else:
            attempt.answers.append(
                AttemptAnswer(question_id=question_id, choice_ids=choice_ids, saved_at=now)
            )
    db.session.flush()
    return attempt


def submit(actor: Any, attempt_id: Any, answers: list[Answer]) -> Attempt:
    """Grade the attempt once. A second submission returns the stored result.

    Raises AttemptExpired (409) after the deadline, having closed the attempt (the
    closing is kept although the request fails: see :func:`close_if_expired`).
    """
    attempt = get(actor, attempt_id)
    if attempt.status == SUBMITTED:
        return attempt
    if attempt.status == EXPIRED:
        raise AttemptExpired(
            _("El tiempo del intento terminó; se calificó con las respuestas guardadas.")
        )
    decided = any(answer.path for answer in attempt.answers)
    if not answers and not decided:
        raise ValidationFailed(
            _("La entrega no tiene respuestas."),
            details={"fields": {"answers": [_("Responda al menos una pregunta.")]}},
        )
    attempt = _locked(attempt)
    if attempt.status == EXPIRED:
        raise AttemptExpired(_("El tiempo del intento terminó."))
    if attempt.status != IN_PROGRESS:
        return attempt  # graded meanwhile by a concurrent request: its stored result
    selected = _selected_ids(attempt, answers)
    _grade_and_close(attempt, selected, SUBMITTED)
    return attempt


def _grade_and_close(attempt: Attempt, selected: dict[int, list[int]], status: str) -> None:
    saved = {answer.question_id: answer for answer in attempt.answers}
    chosen = {question_id: answer.choice_ids for question_id, answer in saved.items()}
    chosen.update(selected)
    credits: dict[int, float] = {}
    for item in attempt.items:
        question: Question = item.question
        if question.type in grading.PATH_GRADERS and question.scenario is not None:
            answered = saved.get(item.question_id)
            credits[item.question_id] = grading.grade_path(
                question.type, question.scenario, answered.path or [] if answered else []
            )
            continue
        correct = frozenset(choice.id for choice in question.choices if choice.correct)
        credits[item.question_id] = grading.grade(
            question.type, correct, frozenset(chosen.get(item.question_id, []))
        )
    score = grading.score(list(credits.values()))
    passed = score >= attempt.module_version.pass_mark
    now = utcnow()
    claimed = db.session.execute(  # type: ignore[attr-defined]
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == IN_PROGRESS)
        .values(status=status, submitted_at=now, score=score, passed=passed)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if not claimed:
        return  # graded by a concurrent request; ``attempt`` now holds its result
    for item in attempt.items:
        answer = saved.get(item.question_id)
        if answer is None:
            answer = AttemptAnswer(question_id=item.question_id, choice_ids=[])
            attempt.answers.append(answer)
        answer.choice_ids = chosen.get(item.question_id, [])
        answer.credit = credits[item.question_id]
        answer.correct = credits[item.question_id] == 1.0
    db.session.flush()
    # progress folds the result into the learner's record (training.progress.records)
    signals.attempt_submitted.send(__name__, attempt=attempt)
    db.session.flush()


def grant_attempt(actor: Any, learner_id: Any, slug: str, reason: Any, extra: int = 1) -> Any:
    """A coordinator gives a learner of their ministry ``extra`` more attempts at a module
    (after the allowed ones ran out). Audited with the reason."""
    from training.audit import refusals
    from training.audit import services as audit
    from training.catalog.models import Module
    from training.quizzes.models import AttemptGrant

    coordinator = authz.require(actor, authz.Permission.manage_staff)
    learner = authz.get_scoped(User, learner_id, coordinator)
    if learner.id == coordinator.id:
        refusals.refuse(
            "quiz.own_attempt_grant_refused",
            _("Nadie puede concederse intentos a sí mismo; pídalo a otra coordinación."),
            actor=coordinator,
            target=learner,
            details={"module": str(slug)[:60]},
        )
    module = db.session.scalars(select(Module).where(Module.slug == str(slug)[:60])).first()
    if module is None:
        raise NotFound(_("No existe ese módulo."))
    text = " ".join(str(reason or "").split())
    if not text or len(text) > 500 or not 1 <= int(extra) <= 5:
        raise ValidationFailed(
            details={"fields": {"reason": [_("Indique el motivo (de 1 a 500 caracteres).")]}}
        )
    grant = AttemptGrant(
        user_id=learner.id,
        ministry_id=learner.ministry_id,
        module_id=module.id,
        extra=int(extra),
        granted_by_id=coordinator.id,
        reason=text,
    )
    db.session.add(grant)
    db.session.flush()
    audit.record(
        "quiz.attempt_granted",
        actor=coordinator,
        target=learner,
        details={"module": module.slug, "extra": grant.extra, "reason": text},
    )
    return grant
