"""The learner's modules as JSON: modules, lessons, reading, starting a quiz attempt."""

from __future__ import annotations

from typing import Any

from flask import after_this_request
from flask.views import MethodView
from flask_smorest import Blueprint

from training import authz
from training.catalog import cache, schemas
from training.catalog.cache import LessonText
from training.catalog.models import in_language
from training.i18n import current_language
from training.progress import attempts, caching, modules, records, remediation
from training.quizzes import presenters as quiz_presenters
from training.quizzes import schemas as quiz_schemas
from training.schemas import envelope

blp = Blueprint(
    "learning_api",
    __name__,
    url_prefix="/api/v1",
    description="Modules and lessons, as the signed-in learner sees them.",
)


def module_summary(view: modules.ModuleView, language: str) -> dict[str, Any]:
    return {
        "slug": view.slug,
        "title": in_language(view.version.title, language),
        "version": view.version.number,
        "status": view.status,
        "best_score": view.best_score,
        "locked": view.locked,
        "lock_reason": view.lock_reason(language),
    }


def lesson_data(lesson: LessonText, language: str, read: bool) -> dict[str, Any]:
    return {
        "number": lesson.number,
        "title": in_language(lesson.title, language),
        "kind": lesson.kind,
        "read": read,
    }


@blp.route("/modules")
class Modules(MethodView):
    @blp.response(200, schemas.ModuleListSchema)
    @authz.permission_required(authz.Permission.learn)
    def get(self) -> dict[str, Any]:
        """Every module with the learner's status, best score and lock."""
        language = current_language()
        items = [module_summary(view, language) for view in modules.module_views(authz.actor())]
        return envelope(items)


@blp.route("/modules/<slug>")
class ModuleDetail(MethodView):
    @blp.response(200, schemas.ModuleDetailSchema)
    @blp.alt_response(404, description="No such module.")
    @authz.permission_required(authz.Permission.learn)
    def get(self, slug: str) -> dict[str, Any]:
        """A module: objectives, lessons (read or not) and quiz rules."""
        user = authz.actor()
        language = current_language()
        view = modules.module_view(user, slug)
        read = view.read_numbers or frozenset()
        version = view.version
        return {
            **module_summary(view, language),
            "summary": in_language(version.summary, language),
            "objectives": version.objective_texts(language),
            "objective_ids": [objective["id"] for objective in version.objectives],
            "hours": version.hours,
            "lessons": [
                lesson_data(item, language, item.number in read) for item in cache.lessons(version)
            ],
            "quiz": {
                "pass_mark": version.pass_mark,
                "max_attempts": view.attempts_allowed,
                "attempts_left": view.attempts_left,
                "time_limit_s": version.time_limit_s,
                "questions_per_attempt": version.questions_per_attempt,
            },
        }


@blp.route("/modules/<slug>/lessons/<number>")
class LessonDetail(MethodView):
    @blp.response(200, schemas.LessonSchema)
    @blp.alt_response(
        304, description="Not modified: If-None-Match names the lesson's current ETag."
    )
    @blp.alt_response(404, description="No such module or lesson.")
    @authz.permission_required(authz.Permission.learn)
    def get(self, slug: str, number: str) -> Any:
        """A lesson's sanitised HTML, in the requested language. Tagged with an ``ETag``
        (``Cache-Control: private, no-cache``): with ``If-None-Match`` naming it, the
        answer is 304 without a body; the opening is recorded either way."""
        user = authz.actor()
        language = current_language()
        view, state = modules.reading_lesson(user, slug, number)
        remediation.note_opened(user, state.id)
        version = view.version
        tag = caching.etag(
            "lesson", user.id, version.id, version.content_hash, state.number, language, state.read
        )
        unchanged = caching.not_modified(tag)
        if unchanged is not None:
            return unchanged
        lesson = modules.lesson(view, state.number)
        after_this_request(lambda response: caching.finish(response, tag))
        return {
            **lesson_data(lesson, language, state.read),
            "html": in_language(lesson.html, language),
        }


@blp.route("/modules/<slug>/lessons/<number>/read")
class LessonRead(MethodView):
    @blp.response(200, schemas.LessonSummarySchema)
    @blp.alt_response(404, description="No such module or lesson.")
    @authz.permission_required(authz.Permission.learn)
    def post(self, slug: str, number: str) -> dict[str, Any]:
        """Mark the lesson read. Idempotent."""
        _view, lesson, _new = records.mark_lesson_read(authz.actor(), slug, number)
        return lesson_data(lesson, current_language(), True)


@blp.route("/modules/<slug>/attempts")
class Attempts(MethodView):
    @blp.response(201, quiz_schemas.AttemptSchema)
    @blp.alt_response(
        200, schema=quiz_schemas.AttemptSchema, description="The attempt already in progress."
    )
    @blp.alt_response(
        403,
        description="Locked by prerequisites (details.reason prerequisites), no attempt left "
        "(no_attempts_left), lessons of the objectives missed not reopened since the failed "
        "attempt (code review_required, details.lessons) or a wait after it (code "
        "retake_wait, details.retry_at).",
    )
    @blp.alt_response(404, description="No such module.")
    @authz.permission_required(authz.Permission.learn)
    def post(self, slug: str) -> tuple[dict[str, Any], int]:
        """Start an attempt, or get the one in progress. Never includes correctness."""
        attempt, created = attempts.start(authz.actor(), slug)
        return quiz_presenters.attempt(attempt, current_language()), 201 if created else 200
