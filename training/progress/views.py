"""Learner pages: the modules, a module, a lesson, a job aid, starting the quiz."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from training import authz
from training.catalog import cache
from training.progress import attempts, caching, modules, records, remediation
from training.quizzes import services as quizzes

blueprint = Blueprint("progress", __name__)


@blueprint.route("/modules")
@authz.permission_required(authz.Permission.learn)
def list_modules() -> str:
    return render_template("progress/modules.html", views=modules.module_views(authz.actor()))


@blueprint.route("/modules/<slug>")
@authz.permission_required(authz.Permission.learn)
def show_module(slug: str) -> str:
    user = authz.actor()
    view = modules.module_view(user, slug)
    history = quizzes.history(user, view.module.id)
    # Decided whatever the attempts left, from the attempts the page lists anyway.
    waiting = remediation.hold(user, view, history)
    return render_template(
        "progress/module.html",
        view=view,
        lessons=cache.lessons(view.version),
        read=view.read_numbers or frozenset(),
        attempts=history,
        hold=waiting,
    )


@blueprint.route("/modules/<slug>/lessons/<number>")
@authz.permission_required(authz.Permission.learn)
def show_lesson(slug: str, number: str) -> ResponseReturnValue:
    user = authz.actor()
    view, state = modules.reading_lesson(user, slug, number)
    # Recorded for a 304 too: the learner opened the lesson, from the browser's copy.
    remediation.note_opened(user, state.id)
    version = view.version
    tag = caching.page_etag(
        user, "lesson", version.id, version.content_hash, state.number, state.read
    )
    unchanged = caching.not_modified(tag)
    if unchanged is not None:
        return unchanged
    lesson = modules.lesson(view, state.number)
    lessons = cache.lessons(version)
    index = lessons.index(lesson)
    page = render_template(
        "progress/lesson.html",
        view=view,
        lesson=lesson,
        total=len(lessons),
        read=state.read,
        previous=lessons[index - 1] if index > 0 else None,
        following=lessons[index + 1] if index + 1 < len(lessons) else None,
    )
    return caching.finish(make_response(page), tag)


@blueprint.route("/modules/<slug>/lessons/<number>/read", methods=["POST"])
@authz.permission_required(authz.Permission.learn)
def read_lesson(slug: str, number: str) -> ResponseReturnValue:
    view, lesson, _new = records.mark_lesson_read(authz.actor(), slug, number)
    lessons = cache.lessons(view.version)
    index = lessons.index(lesson)
    if request.form.get("next") == "1" and index + 1 < len(lessons):
        target = url_for("progress.show_lesson", slug=slug, number=lessons[index + 1].number)
    else:
        target = url_for("progress.show_module", slug=slug)
    return redirect(target)


@blueprint.route("/modules/<slug>/job-aid")
@authz.permission_required(authz.Permission.learn)
def show_job_aid(slug: str) -> ResponseReturnValue:
    user = authz.actor()
    view = modules.reading_view(user, slug, job_aid=True)
    version = view.version
    tag = caching.page_etag(user, "job-aid", version.id, version.content_hash)
    unchanged = caching.not_modified(tag)
    if unchanged is not None:
        return unchanged
    page = render_template("progress/job_aid.html", view=view)
    return caching.finish(make_response(page), tag)


@blueprint.route("/modules/<slug>/attempts", methods=["POST"])
@authz.permission_required(authz.Permission.learn)
def start_attempt(slug: str) -> ResponseReturnValue:
    attempt, _created = attempts.start(authz.actor(), slug)
    return redirect(url_for("quizzes.show_attempt", attempt_id=attempt.id))
