"""Scenario items walked one decision at a time; the path is kept on the server.

Each decision is recorded under the attempt's row lock (the same lock as saving and
grading), appended to ``AttemptAnswer.path`` and never changed: there is no way back.
A request names the step it answers (``step``) when it can: a decision repeated by a
double click, or sent from a page left open, is then refused (409) instead of being
taken as the answer to the following step.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from training.database import utcnow
from training.errors import Conflict, NotFound, ValidationFailed
from training.extensions import db
from training.quizzes import scenarios, services
from training.quizzes.models import EXPIRED, IN_PROGRESS, Attempt, AttemptAnswer, AttemptQuestion
from training.quizzes.services import AttemptExpired


class StepAlreadyDecided(Conflict):
    code = "step_already_decided"


def _scenario_item(attempt: Attempt, question_key: str) -> AttemptQuestion:
    for item in attempt.items:
        if item.question.key == question_key and item.question.scenario is not None:
            return item
    raise NotFound(_("Este intento no tiene ese caso."))


def decide(
    actor: Any, attempt_id: Any, question_key: str, choice: str, step: str | None = None
) -> Attempt:
    """Record ``choice`` at the current step of scenario ``question_key``."""
    attempt = services._locked(services.get(actor, attempt_id))
    if attempt.status == EXPIRED:
        raise AttemptExpired(_("El tiempo del intento terminó."))
    if attempt.status != IN_PROGRESS:
        raise Conflict(_("Este intento ya se entregó."))
    item = _scenario_item(attempt, str(question_key)[:40])
    definition = item.question.scenario or {}
    answer = next((a for a in attempt.answers if a.question_id == item.question_id), None)
    path = list(answer.path or []) if answer else []
    current = scenarios.walk(definition, path).current
    if current is None:
        raise StepAlreadyDecided(_("Este caso ya terminó; sus decisiones no se pueden cambiar."))
    if step is not None and step != current["id"]:
        raise StepAlreadyDecided(_("Ese paso ya se decidió; las decisiones no se pueden cambiar."))
    try:
        path = scenarios.decide(definition, path, str(choice))
    except scenarios.NotAnOption:
        raise ValidationFailed(
            _("Elija una de las opciones de este paso."),
            details={"fields": {"choice": [_("Elija una de las opciones de este paso.")]}},
        ) from None
    _store(attempt, item.question_id, answer, path)
    return attempt


def _store(
    attempt: Attempt, question_id: int, answer: AttemptAnswer | None, path: list[str]
) -> None:
    """Write the new path only if no other request wrote one meanwhile.

    PostgreSQL's row lock already serialises decisions; where there is none (SQLite),
    the first decision is an insert that a concurrent one makes fail, and a later one an
    update conditional on the answer's ``saved_at`` being what this request read.
    """
    taken = StepAlreadyDecided(_("Ese paso ya se decidió; las decisiones no se pueden cambiar."))
    if answer is None:
        try:
            with db.session.begin_nested():
                attempt.answers.append(
                    AttemptAnswer(question_id=question_id, choice_ids=[], path=path)
                )
        except IntegrityError:
            raise taken from None
        return
    written = db.session.execute(  # type: ignore[attr-defined]
        update(AttemptAnswer)
        .where(
            AttemptAnswer.attempt_id == attempt.id,
            AttemptAnswer.question_id == question_id,
            AttemptAnswer.saved_at == answer.saved_at,
        )
        .values(path=path, saved_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not written:
        raise taken
    db.session.refresh(answer)
