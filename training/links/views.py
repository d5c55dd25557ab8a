"""External course pages: the learners' list and launches, reporting a completion, and
the coordinators' registry, review queue, import, link checks and report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from training import authz, unit_of_work
from training.errors import DomainError, ValidationFailed
from training.links import completion_import, completions, courses
from training.links.api import evidence_response
from training.links.models import REJECTED, REPORTED, VERIFIED

blueprint = Blueprint("links", __name__)

PER_PAGE = 50


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _page() -> int:
    value = request.args.get("page", "1")
    return max(1, min(int(value), 100000)) if value.isdigit() and len(value) <= 6 else 1


def _field_errors(error: DomainError) -> dict[str, list[str]]:
    fields = error.details.get("fields") if error.details else None
    return {str(name): [str(m) for m in messages] for name, messages in (fields or {}).items()}


# --- Learners ---------------------------------------------------------------------------


@blueprint.route("/external-courses")
@authz.login_required
def list_courses() -> Response:
    views = courses.courses_for(authz.actor())
    return _private(Response(render_template("links/courses.html", views=views)))


@blueprint.route("/external-courses/<course_id>")
@authz.login_required
def show_course(course_id: str) -> Response:
    view = courses.course_for(authz.actor(), course_id)
    return _private(Response(render_template("links/course.html", view=view, errors={})))


@blueprint.route("/external-courses/<course_id>/completion", methods=["POST"])
@authz.permission_required(authz.Permission.learn)
def report_completion(course_id: str) -> ResponseReturnValue:
    user = authz.actor()
    upload = request.files.get("evidence")
    try:
        completions.report_completion(
            user,
            course_id,
            completed_on=request.form.get("completed_on"),
            note=request.form.get("note"),
            filename=upload.filename if upload is not None else None,
            stream=upload.stream if upload is not None else None,
        )
    except DomainError as error:
        unit_of_work.discard()
        if error.status in (401, 403, 404):
            raise
        view = courses.course_for(user, course_id)
        page = render_template(
            "links/course.html",
            view=view,
            errors=_field_errors(error),
            error_message=error.message,
            form=request.form,
        )
        return _private(Response(page, status=error.status))
    flash(_("Gracias. Su coordinación revisará la finalización."), "info")
    return redirect(url_for("links.show_course", course_id=course_id))


# No merging of slashes: /go/1//elsewhere is a 404, never a redirect of any kind.
@blueprint.route("/go/<course_id>", merge_slashes=False)
@authz.login_required
def launch(course_id: str) -> ResponseReturnValue:
    """Record the launch and send the learner to the registered URL, and only there:
    nothing in the request (query, path, headers) takes part in the target."""
    _launch, target = courses.launch(authz.actor(), course_id)
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blueprint.route("/external-completions/<completion_id>/evidence")
@authz.login_required
def download_evidence(completion_id: str) -> Response:
    found = completions.evidence_file(authz.actor(), completion_id)
    return evidence_response(found)


# --- Coordinators: the registry ---------------------------------------------------------


@blueprint.route("/coordination/external-courses")
@authz.permission_required(authz.Permission.manage_external_courses)
def manage_courses() -> Response:
    views = courses.managed_courses(authz.actor())
    broken = sum(1 for view in views if view.broken and view.course.active)
    return _private(
        Response(render_template("links/manage.html", views=views, broken_count=broken))
    )


def _course_form_data(*, editing: bool) -> dict[str, Any]:
    form = request.form
    data: dict[str, Any] = {
        "provider": form.get("provider", ""),
        "title": {lang: form.get(f"title_{lang}", "") for lang in ("es", "en", "fr")},
        "description": {lang: form.get(f"description_{lang}", "") for lang in ("es", "en", "fr")},
        "url": form.get("url", ""),
        "language": form.get("language", ""),
        "modules": form.getlist("modules"),
        "counts_toward_program": form.get("counts_toward_program") == "1",
    }
    if editing:
        data["active"] = form.get("active") == "1"
    return data


def _course_form(
    *,
    course: Any = None,
    counts: bool = False,
    errors: dict[str, list[str]] | None = None,
    form: Any = None,
    status: int = 200,
) -> Response:
    page = render_template(
        "links/course_form.html",
        course=course,
        counts=counts,
        errors=errors or {},
        form=form,
        modules=courses.module_options(),
    )
    return _private(Response(page, status=status))


@blueprint.route("/coordination/external-courses/new", methods=["GET", "POST"])
@authz.permission_required(authz.Permission.manage_external_courses)
def new_course() -> ResponseReturnValue:
    if request.method == "GET":
        return _course_form()
    try:
        course = courses.register(authz.actor(), _course_form_data(editing=False))
    except ValidationFailed as error:
        unit_of_work.discard()
        return _course_form(errors=_field_errors(error), form=request.form, status=422)
    flash(_("Curso registrado."), "info")
    return redirect(url_for("links.manage_courses", _anchor=f"course-{course.id}"))


@blueprint.route("/coordination/external-courses/<course_id>/edit", methods=["GET", "POST"])
@authz.permission_required(authz.Permission.manage_external_courses)
def edit_course(course_id: str) -> ResponseReturnValue:
    user = authz.actor()
    course = courses.editable_course(user, course_id)
    counts = courses.counts_for_ministry(user, course)
    if request.method == "GET":
        return _course_form(course=course, counts=counts)
    try:
        courses.update(user, course_id, _course_form_data(editing=True))
    except ValidationFailed as error:
        course = courses.editable_course(user, course_id)
        return _course_form(
            course=course, counts=counts, errors=_field_errors(error), form=request.form, status=422
        )
    flash(_("Cambios guardados."), "info")
    return redirect(url_for("links.manage_courses", _anchor=f"course-{course.id}"))


@blueprint.route("/coordination/external-courses/<course_id>/credit", methods=["POST"])
@authz.permission_required(authz.Permission.manage_external_courses)
def set_credit(course_id: str) -> ResponseReturnValue:
    counts = request.form.get("counts_toward_program") == "1"
    courses.set_credit(authz.actor(), course_id, counts)
    if counts:
        flash(_("Su ministerio cuenta ahora este curso para el programa."), "info")
    else:
        flash(_("Su ministerio ya no cuenta este curso para el programa."), "info")
    return redirect(url_for("links.manage_courses", _anchor=f"course-{course_id}"))


@blueprint.route("/coordination/external-courses/<course_id>/checks")
@authz.permission_required(authz.Permission.manage_external_courses)
def show_checks(course_id: str) -> Response:
    view, checks = courses.check_history(authz.actor(), course_id)
    return _private(Response(render_template("links/checks.html", view=view, checks=checks)))


@blueprint.route("/coordination/external-courses/<course_id>/import", methods=["GET", "POST"])
@authz.permission_required(authz.Permission.manage_external_courses)
def import_completions(course_id: str) -> ResponseReturnValue:
    user = authz.actor()
    view, _checks = courses.check_history(user, course_id)
    if request.method == "GET":
        return _private(Response(render_template("links/import.html", view=view, report=None)))
    upload = request.files.get("file")
    try:
        report = completion_import.import_completions(
            user, course_id, upload.stream if upload is not None and upload.filename else None
        )
    except DomainError as error:
        unit_of_work.discard()
        if error.status in (401, 403, 404):
            raise
        view, _checks = courses.check_history(user, course_id)
        page = render_template(
            "links/import.html", view=view, report=None, error_message=error.message
        )
        return _private(Response(page, status=error.status))
    return _private(Response(render_template("links/import.html", view=view, report=report)))


# --- Coordinators: completions ----------------------------------------------------------

STATUS_FILTERS = (REPORTED, VERIFIED, REJECTED, "all")


@blueprint.route("/coordination/external-completions")
@authz.permission_required(authz.Permission.manage_external_courses)
def review_queue() -> Response:
    status = request.args.get("status", REPORTED)
    if status not in STATUS_FILTERS:
        status = REPORTED
    page = _page()
    rows, total = completions.completion_queue(
        authz.actor(),
        status=None if status == "all" else status,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    return _private(
        Response(
            render_template(
                "links/review.html",
                rows=rows,
                total=total,
                status=status,
                page=page,
                pages=max(1, -(-total // PER_PAGE)),
            )
        )
    )


@blueprint.route("/coordination/external-completions/<completion_id>/review", methods=["POST"])
@authz.permission_required(authz.Permission.manage_external_courses)
def review_completion(completion_id: str) -> ResponseReturnValue:
    decision = request.form.get("decision", "")
    try:
        completion = completions.review(
            authz.actor(), completion_id, decision, request.form.get("note")
        )
    except DomainError as error:
        unit_of_work.discard()
        if error.status in (401, 404):
            raise
        flash(error.message, "error")
        return redirect(url_for("links.review_queue"))
    if completion.status == VERIFIED:
        flash(_("Finalización verificada."), "info")
    else:
        flash(_("Finalización rechazada."), "info")
    return redirect(url_for("links.review_queue"))
