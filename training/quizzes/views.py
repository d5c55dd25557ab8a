"""Learner pages of the quiz: answer, save, submit, result (starting one is in
``training.progress.views``: the learner's progress decides whether they may)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from training import authz, unit_of_work
from training.errors import Conflict, ValidationFailed
from training.i18n import current_language
from training.quizzes import decisions, presenters, services
from training.quizzes.models import Answer

blueprint = Blueprint("quizzes", __name__)


@blueprint.route("/attempts/<attempt_id>")
@authz.permission_required(authz.Permission.learn)
def show_attempt(attempt_id: str) -> str:
    attempt = services.get(authz.actor(), attempt_id)
    data = presenters.attempt(attempt, current_language())
    return render_template("quizzes/attempt.html", attempt=attempt, data=data)


def _form_answers(attempt_questions: list[dict[str, object]]) -> list[Answer]:
    answers = []
    for question in attempt_questions:
        key = str(question["id"])
        chosen = tuple(request.form.getlist(f"q-{key}"))
        if chosen:
            answers.append(Answer(key, chosen))
    return answers


@blueprint.route("/attempts/<attempt_id>", methods=["POST"])
@authz.permission_required(authz.Permission.learn)
def answer_attempt(attempt_id: str) -> ResponseReturnValue:
    user = authz.actor()
    attempt = services.get(user, attempt_id)
    data = presenters.attempt(attempt, current_language())
    answers = _form_answers(data["questions"])
    try:
        if request.form.get("action") == "save":
            services.save_answers(user, attempt.id, answers)
            flash(_("Respuestas guardadas. Puede volver más tarde para terminar."), "info")
        else:
            services.submit(user, attempt.id, answers)
    except services.AttemptExpired as error:
        flash(error.message, "error")  # the closing is kept: the redirect commits it
    except ValidationFailed as error:
        unit_of_work.discard()
        flash(error.message, "error")
        return render_template("quizzes/attempt.html", attempt=attempt, data=data), 422
    return redirect(url_for("quizzes.show_attempt", attempt_id=attempt.id))


@blueprint.route("/attempts/<attempt_id>/scenario/<question_id>", methods=["POST"])
@authz.permission_required(authz.Permission.learn)
def decide_scenario(attempt_id: str, question_id: str) -> ResponseReturnValue:
    """One decision of a scenario, posted by its step's button (no JavaScript needed).

    The answers ticked elsewhere on the page are saved first, so that deciding does not
    lose them; the page then shows the next step.
    """
    user = authz.actor()
    attempt = services.get(user, attempt_id)
    data = presenters.attempt(attempt, current_language())
    answers = _form_answers(data["questions"])
    choice = request.form.get(f"s-{question_id}", "")
    try:
        if answers:
            services.save_answers(user, attempt.id, answers)
        decisions.decide(
            user, attempt.id, question_id, choice, request.form.get(f"step-{question_id}")
        )
    except services.AttemptExpired as error:
        flash(error.message, "error")  # the closing is kept: the redirect commits it
    except ValidationFailed as error:
        unit_of_work.discard()
        flash(error.message, "error")
        return render_template("quizzes/attempt.html", attempt=attempt, data=data), 422
    except Conflict as error:
        unit_of_work.discard()
        flash(error.message, "error")
    return redirect(
        url_for("quizzes.show_attempt", attempt_id=attempt.id, _anchor=f"q-{question_id[:40]}")
    )
