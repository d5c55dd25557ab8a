"""Quiz attempts as JSON."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from training import authz
from training.i18n import current_language
from training.quizzes import decisions, presenters, schemas, services

blp = Blueprint(
    "quizzes_api",
    __name__,
    url_prefix="/api/v1",
    description="Quiz attempts: save, submit, results.",
)


@blp.route("/attempts/<attempt_id>")
class AttemptDetail(MethodView):
    @blp.response(200, schemas.AttemptSchema)
    @blp.alt_response(404, description="No such attempt of yours.")
    @authz.permission_required(authz.Permission.learn)
    def get(self, attempt_id: str) -> dict[str, Any]:
        """The attempt; once graded, with the result of every question."""
        attempt = services.get(authz.actor(), attempt_id)
        return presenters.attempt(attempt, current_language())


@blp.route("/attempts/<attempt_id>/answers")
class AttemptAnswers(MethodView):
    @blp.arguments(schemas.SubmissionSchema)
    @blp.response(200, schemas.AttemptSchema)
    @blp.alt_response(409, description="Already submitted or expired.")
    @blp.alt_response(422, description="Answers that do not fit the attempt.")
    @authz.permission_required(authz.Permission.learn)
    def put(self, data: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Save answers without submitting (the attempt stays in progress)."""
        attempt = services.save_answers(authz.actor(), attempt_id, schemas.load_answers(data))
        return presenters.attempt(attempt, current_language())


@blp.route("/attempts/<attempt_id>/submission")
class Submission(MethodView):
    @blp.arguments(schemas.SubmissionSchema)
    @blp.response(200, schemas.AttemptSchema)
    @blp.alt_response(409, description="The attempt expired.")
    @blp.alt_response(422, description="Answers that do not fit the attempt.")
    @authz.permission_required(authz.Permission.learn)
    def post(self, data: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Submit and grade. Submitting again returns the same result."""
        attempt = services.submit(authz.actor(), attempt_id, schemas.load_answers(data))
        return presenters.attempt(attempt, current_language())


@blp.route("/attempts/<attempt_id>/scenario/<question_id>")
class ScenarioDecision(MethodView):
    @blp.arguments(schemas.DecisionSchema)
    @blp.response(200, schemas.QuestionOutSchema)
    @blp.alt_response(404, description="No such attempt of yours, or no such case in it.")
    @blp.alt_response(
        409, description="Already submitted or expired, or this step was already decided."
    )
    @blp.alt_response(422, description="The choice is not an option of the current step.")
    @authz.permission_required(authz.Permission.learn)
    def post(self, data: dict[str, Any], attempt_id: str, question_id: str) -> dict[str, Any]:
        """Take the decision at the current step of a scenario question.

        The server keeps the path: the answer is the question with the decisions taken so
        far and the next step (``scenario.step``), or ``scenario.finished`` when the case
        has ended. A decision cannot be changed, and nothing says how good it was until
        the attempt is graded.
        """
        attempt = decisions.decide(
            authz.actor(), attempt_id, question_id, data["choice"], data.get("step")
        )
        result = presenters.attempt(attempt, current_language())
        return next(q for q in result["questions"] if q["id"] == question_id)


@blp.route("/staff/<user_id>/attempt-grants")
class AttemptGrants(MethodView):
    @blp.arguments(schemas.GrantSchema)
    @blp.response(201, schemas.GrantOutSchema)
    @blp.alt_response(404, description="No such learner in your ministry, or no such module.")
    @authz.permission_required(authz.Permission.manage_staff)
    def post(self, data: dict[str, Any], user_id: str) -> dict[str, Any]:
        """Grant a learner of your ministry extra attempts at a module's quiz."""
        grant = services.grant_attempt(
            authz.actor(), user_id, data["module"], data["reason"], data["extra"]
        )
        return {
            "id": grant.id,
            "user_id": grant.user_id,
            "module": data["module"],
            "extra": grant.extra,
            "reason": grant.reason,
            "created_at": grant.created_at,
        }
