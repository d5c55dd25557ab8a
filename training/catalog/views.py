"""Learner pages: the catalogue, a module, a lesson, a job aid."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from training import authz
from training.catalog.models import ContentAsset
from training.extensions import db
from training.progress import services as progress
from training.quizzes import services as quizzes

blueprint = Blueprint("catalog", __name__)


@blueprint.route("/modules")
@authz.permission_required(authz.Permission.learn)
def list_modules() -> str:
    return render_template("catalog/modules.html", views=progress.module_views(authz.actor()))


@blueprint.route("/modules/<slug>")
@authz.permission_required(authz.Permission.learn)
def show_module(slug: str) -> str:
    user = authz.actor()
    view = progress.module_view(user, slug)
    return render_template(
        "catalog/module.html",
        view=view,
        read=progress.read_lesson_numbers(user, view.version),
        attempts=quizzes.history(user, view.module.id),
    )


@blueprint.route("/modules/<slug>/lessons/<number>")
@authz.permission_required(authz.Permission.learn)
def show_lesson(slug: str, number: str) -> str:
    user = authz.actor()
    view = progress.module_view(user, slug)
    lesson = progress.lesson(view, number)
    lessons = view.version.lessons
    index = lessons.index(lesson)
    return render_template(
        "catalog/lesson.html",
        view=view,
        lesson=lesson,
        read=lesson.number in progress.read_lesson_numbers(user, view.version),
        previous=lessons[index - 1] if index > 0 else None,
        following=lessons[index + 1] if index + 1 < len(lessons) else None,
    )


@blueprint.route("/modules/<slug>/lessons/<number>/read", methods=["POST"])
@authz.permission_required(authz.Permission.learn)
def read_lesson(slug: str, number: str) -> ResponseReturnValue:
    view, lesson, _new = progress.mark_lesson_read(authz.actor(), slug, number)
    db.session.commit()
    lessons = view.version.lessons
    index = lessons.index(lesson)
    if request.form.get("next") == "1" and index + 1 < len(lessons):
        target = url_for("catalog.show_lesson", slug=slug, number=lessons[index + 1].number)
    else:
        target = url_for("catalog.show_module", slug=slug)
    return redirect(target)


@blueprint.route("/modules/<slug>/job-aid")
@authz.permission_required(authz.Permission.learn)
def show_job_aid(slug: str) -> str:
    view = progress.module_view(authz.actor(), slug)
    return render_template("catalog/job_aid.html", view=view)


@blueprint.route("/content/assets/<name>")
@authz.login_required
def show_asset(name: str) -> Response:
    digest = name.split(".", 1)[0]
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        abort(404)
    asset = db.session.get(ContentAsset, digest)
    if asset is None:
        abort(404)
    response = Response(asset.data, mimetype=asset.media_type)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    if asset.media_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
