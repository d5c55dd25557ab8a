"""Coordinator pages for cohorts."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from training import authz, csvfiles, unit_of_work
from training.catalog.models import current_programs
from training.cohorts import services
from training.errors import DomainError, ValidationFailed
from training.extensions import db
from training.ministries.models import Post

blueprint = Blueprint("cohorts", __name__, url_prefix="/coordination")

EMAIL_LIST_MAX_BYTES = 1024 * 1024


@blueprint.route("/cohorts", methods=["GET", "POST"])
@authz.permission_required(authz.Permission.manage_staff)
def list_cohorts() -> ResponseReturnValue:
    user = authz.actor()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            cohort = services.create(
                user,
                name=request.form.get("name", ""),
                program_slug=request.form.get("program", ""),
                starts_on=request.form.get("starts_on", ""),
                deadline=request.form.get("deadline", ""),
            )
        except DomainError as error:
            unit_of_work.discard()
            errors = error.details.get("fields", {}) or {"name": [error.message]}
        else:
            flash(_("Grupo creado."), "info")
            return redirect(url_for("cohorts.show_cohort", cohort_id=cohort.id))
    programs = db.session.scalars(current_programs()).all()
    return render_template(
        "cohorts/list.html",
        summaries=services.summaries(user),
        programs=programs,
        errors=errors,
        form=request.form,
    ), (422 if errors else 200)


@blueprint.route("/cohorts/<cohort_id>")
@authz.permission_required(authz.Permission.manage_staff)
def show_cohort(cohort_id: str) -> str:
    user = authz.actor()
    cohort = services.get(user, cohort_id)
    posts = db.session.scalars(
        db.select(Post).where(Post.ministry_id == user.ministry_id).order_by(Post.name)
    ).all()
    return render_template(
        "cohorts/show.html", cohort=cohort, rows=services.members(user, cohort), posts=posts
    )


def _emails_from_upload() -> list[str]:
    """The e-mails typed in the form, or those of the uploaded file: a list or a CSV,
    with or without a header, the addresses separated by anything a spreadsheet writes."""
    upload = request.files.get("emails_file")
    if upload is None or not upload.filename:
        return request.form.get("emails", "").split()
    data = csvfiles.read_upload(upload.stream, EMAIL_LIST_MAX_BYTES)
    text = csvfiles.decode(data, max_bytes=EMAIL_LIST_MAX_BYTES)
    return [word for word in re.split(r"[\s,;\"']+", text) if "@" in word]


@blueprint.route("/cohorts/<cohort_id>/members", methods=["POST"])
@authz.permission_required(authz.Permission.manage_staff)
def add_members(cohort_id: str) -> ResponseReturnValue:
    user = authz.actor()
    cohort = services.get(user, cohort_id)
    try:
        how = request.form.get("how")
        if how == "post":
            added = services.add_members(user, cohort, post_id=request.form.get("post"))
        elif how == "all":
            added = services.add_members(user, cohort, all_learners=True)
        else:
            added, missing = services.add_members_by_email(user, cohort, _emails_from_upload())
            if missing:
                flash(
                    _(
                        "Sin coincidencia en su ministerio: %(emails)s",
                        emails=", ".join(missing[:20]),
                    ),
                    "error",
                )
    except (ValidationFailed, csvfiles.CsvProblem) as error:
        unit_of_work.discard()
        flash(error.message, "error")
        return redirect(url_for("cohorts.show_cohort", cohort_id=cohort.id))
    flash(_("%(n)d personas añadidas al grupo.", n=added), "info")
    return redirect(url_for("cohorts.show_cohort", cohort_id=cohort.id))


@blueprint.route("/cohorts/<cohort_id>/members/<user_id>/remove", methods=["POST"])
@authz.permission_required(authz.Permission.manage_staff)
def remove_member(cohort_id: str, user_id: str) -> ResponseReturnValue:
    user = authz.actor()
    cohort = services.get(user, cohort_id)
    services.remove_member(user, cohort, user_id)
    flash(_("Persona retirada del grupo."), "info")
    return redirect(url_for("cohorts.show_cohort", cohort_id=cohort.id))


@blueprint.route("/cohorts/<cohort_id>/members/<user_id>/attempt", methods=["POST"])
@authz.permission_required(authz.Permission.manage_staff)
def grant_attempt(cohort_id: str, user_id: str) -> ResponseReturnValue:
    from training.quizzes import services as quizzes

    user = authz.actor()
    cohort = services.get(user, cohort_id)
    try:
        quizzes.grant_attempt(
            user, user_id, request.form.get("module", ""), request.form.get("reason", "")
        )
    except ValidationFailed as error:
        unit_of_work.discard()
        flash(error.message, "error")
    else:
        flash(_("Intento adicional concedido."), "info")
    return redirect(url_for("cohorts.show_cohort", cohort_id=cohort.id))
