"""The dashboard, the language switch and the human API documentation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from training import authz
from training.accounts.labels import ROLE_LABELS
from training.cohorts import services as cohorts
from training.extensions import api
from training.links import courses
from training.net import safe_next
from training.progress import services as progress

blueprint = Blueprint("system", __name__)


@blueprint.route("/")
@authz.login_required
def dashboard() -> str:
    user = authz.actor()
    return render_template(
        "system/dashboard.html",
        user=user,
        role_names=ROLE_LABELS,
        program_view=progress.program_view(user),
        deadlines=cohorts.deadlines_for(user),
        external_courses=courses.courses_for(user, with_modules=False),
        manages_external_courses=authz.can(user, authz.Permission.manage_external_courses),
    )


@blueprint.route("/language", methods=["POST"])
def set_language() -> Response:
    """Remember the chosen language: in the session, and on the account when signed in."""
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
        if current_user.is_authenticated:
            current_user.language = language
    return redirect(safe_next(request.form.get("next"), url_for("system.dashboard")))


@blueprint.route("/api/docs")
def api_docs() -> str:
    """A plain page listing every operation of the OpenAPI document."""
    spec: dict[str, Any] = api.spec.to_dict()
    operations = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                operations.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": operation.get("summary", ""),
                        "description": operation.get("description", ""),
                        "tag": (operation.get("tags") or [""])[0],
                        "responses": sorted(operation.get("responses", {}).keys()),
                    }
                )
    return render_template(
        "system/api_docs.html", operations=operations, spec_url=url_for("api-docs.openapi_json")
    )


@blueprint.route("/favicon.ico")
def favicon() -> Response:
    return redirect(url_for("static", filename="favicon.svg"), code=301)
