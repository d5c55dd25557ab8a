"""The learner's own progress and learning record."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from training import authz
from training.catalog.models import in_language
from training.i18n import current_language
from training.progress import schemas, services, xapi
from training.schemas import envelope

blp = Blueprint(
    "progress_api",
    __name__,
    url_prefix="/api/v1",
    description="The signed-in learner's progress and xAPI statements.",
)


@blp.route("/me/progress")
class MyProgress(MethodView):
    @blp.response(200, schemas.ProgressSchema)
    @authz.permission_required(authz.Permission.learn)
    def get(self) -> dict[str, Any]:
        """Program completion and every module's status and best score."""
        language = current_language()
        view = services.program_view(authz.actor())
        program = view.program
        lessons = services.lesson_counts(view.modules)
        return {
            "program": {
                "slug": program.slug if program else None,
                "title": in_language(program.title, language) if program else None,
                "completed": view.completed,
                "completed_at": view.completion.completed_at if view.completion else None,
                "modules_completed": view.completed_count,
                "modules_total": len(view.modules),
            },
            "modules": [
                {
                    "slug": module.slug,
                    "version": module.version.number,
                    "status": module.status,
                    "best_score": module.best_score,
                    "lessons_read": module.progress.lessons_read if module.progress else 0,
                    "lessons_total": lessons.get(module.version.id, 0),
                    "completed_at": module.progress.completed_at if module.progress else None,
                }
                for module in view.modules
            ],
        }


@blp.route("/me/statements")
class MyStatements(MethodView):
    @blp.arguments(schemas.StatementQuerySchema, location="query")
    @blp.response(200, schemas.StatementListSchema)
    @authz.login_required
    def get(self, query: dict[str, int]) -> dict[str, Any]:
        """The learner's learning events as xAPI 1.0.3 statements, oldest first."""
        page, per_page = query["page"], query["per_page"]
        rows, total = services.events(authz.actor(), limit=per_page, offset=(page - 1) * per_page)
        base = current_app.config["PUBLIC_BASE_URL"]
        return envelope([xapi.statement(row, base) for row in rows], total, page, per_page)
