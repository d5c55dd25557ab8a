"""Certificate pages: public verification, the learner's certificates, the issuers' list."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from training import authz, unit_of_work
from training.certificates import (
    archive,
    issuing,
    lifecycle,
    lookup,
    presenters,
    signing,
)
from training.certificates.api import verification_limit
from training.errors import DomainError, NotFound, error_response
from training.exports import services as exports
from training.extensions import limiter
from training.i18n import current_language

blueprint = Blueprint("certificates", __name__)


def zip_limit() -> str:
    return str(current_app.config["CERTIFICATE_ZIP_RATE_LIMIT"])


def per_user() -> str:
    """Rate-limit key of the signed-in user (the ZIP is only for signed-in staff)."""
    user = authz.actor()
    return f"user:{getattr(user, 'id', None)}"


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/verify", methods=["GET"])
def verify_form() -> ResponseReturnValue:
    code = request.args.get("code", "").strip()
    if code:
        normalized = signing.normalize_code(code)
        return redirect(url_for("certificates.verify_page", code=normalized or code[:64]))
    return render_template("certificates/verify_form.html")


@blueprint.route("/verify/<code>")
@limiter.limit(verification_limit)
def verify_page(code: str) -> ResponseReturnValue:
    try:
        result = signing.verify(code)
    except NotFound:
        return render_template("certificates/verify_unknown.html"), 404
    data = presenters.verification(result.certificate, result.status, current_language())
    return render_template(
        "certificates/verify.html", data=data, code=signing.display_code(result.certificate.code)
    )


@blueprint.route("/certificates")
@authz.login_required
def my_certificates() -> Response:
    language = current_language()
    items = [presenters.summary(c, language) for c in lookup.for_learner(authz.actor())]
    return _private(Response(render_template("certificates/mine.html", items=items)))


@blueprint.route("/issuer/certificates")
@authz.permission_required(authz.Permission.view_certificates)
def list_certificates() -> Response:
    status = request.args.get("status") or None
    search = (request.args.get("q") or "")[:100] or None
    page = max(
        1,
        min(
            int(request.args.get("page", "1")) if request.args.get("page", "1").isdigit() else 1,
            100000,
        ),
    )
    cohort = request.args.get("cohort") or None
    rows, total = lookup.for_staff(
        authz.actor(),
        status=status,
        search=search,
        cohort_id=cohort,
        limit=50,
        offset=(page - 1) * 50,
    )
    language = current_language()
    return _private(
        Response(
            render_template(
                "certificates/list.html",
                items=[presenters.summary(c, language, internal=True) for c in rows],
                total=total,
                page=page,
                status=status,
                search=search or "",
                cohort=cohort,
                revocation_categories=[
                    (value, str(label))
                    for value, label in lifecycle.CATEGORY_LABELS.items()
                    if value != "superseded"  # a re-issue sets it
                ],
            )
        )
    )


@blueprint.route("/issuer/certificates/<code>/<action>", methods=["POST"])
@authz.permission_required(authz.Permission.issue_certificates)
def act(code: str, action: str) -> ResponseReturnValue:
    user = authz.actor()
    try:
        if action == "approve":
            certificate = lifecycle.approve(user, code)
            message = _("Certificado %(serial)s emitido.", serial=certificate.serial)
        elif action == "revoke":
            certificate = lifecycle.revoke(
                user, code, request.form.get("reason"), request.form.get("category")
            )
            message = _("Certificado %(serial)s revocado.", serial=certificate.serial)
        elif action == "reissue":
            certificate = lifecycle.reissue(
                user,
                code,
                holder_name=request.form.get("holder_name") or None,
                reason=request.form.get("reason") or None,
            )
            message = _("Nuevo certificado %(serial)s emitido.", serial=certificate.serial)
        else:
            raise NotFound()
    except DomainError as error:
        if error.status in (404, 403):
            raise  # an error page; a refusal's audit record is kept (see lifecycle)
        unit_of_work.discard()
        flash(error.message, "error")
        return redirect(url_for("certificates.list_certificates"))
    flash(message, "info")
    return redirect(url_for("certificates.list_certificates"))


@blueprint.route("/issuer/certificates.zip")
@authz.permission_required(authz.Permission.view_certificates)
@limiter.limit(zip_limit, key_func=per_user)
def download_zip() -> ResponseReturnValue:
    """The PDFs of the valid certificates matching the list's filters (a cohort's, say),
    in one ZIP: at most CERTIFICATE_ZIP_MAX of them, or a 422 asking to filter. Above
    CERTIFICATE_ZIP_INLINE_MAX the ZIP is prepared in the background and the answer is
    a redirect to the page that offers it when ready."""
    params = {key: request.args.get(key) or None for key in ("q", "cohort")}
    most = int(current_app.config["CERTIFICATE_ZIP_MAX"])
    rows, total = archive.selection(authz.actor(), params)
    if total > most:
        message = _(
            "La selección tiene %(total)d certificados válidos y un ZIP reúne como máximo "
            "%(most)d. Filtre por cohorte o por nombre y descárguelos por partes.",
            total=total,
            most=most,
        )
        return error_response(422, message, code="too_many_certificates")
    if total > int(current_app.config["CERTIFICATE_ZIP_INLINE_MAX"]):
        # Rendering this many PDFs takes a while: prepared in the background.
        export = exports.request_export(
            authz.actor(), archive.ZIP_EXPORT, params, "certificados", current_language()
        )
        return redirect(url_for("exports.show", export_id=export.id), 303)
    buffer = io.BytesIO()
    archive.write_zip(rows, buffer)
    response = Response(buffer.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="certificados.zip"'
    return _private(response)


@blueprint.route("/issuer/settings", methods=["GET", "POST"])
@authz.permission_required(authz.Permission.issue_certificates)
def settings() -> ResponseReturnValue:
    user = authz.actor()
    if request.method == "POST":
        try:
            if request.form.get("action") == "rotate-key":
                key = signing.rotate_key(user)
                message = _("Nueva clave de firma %(kid)s creada.", kid=key.kid[:12])
            else:
                issuing.update_settings(
                    user,
                    signatory_name=request.form.get("signatory_name", ""),
                    signatory_title=request.form.get("signatory_title", ""),
                    serial_prefix=request.form.get("serial_prefix", ""),
                    approval=request.form.get("approval", ""),
                )
                message = _("Configuración guardada.")
        except DomainError as error:
            unit_of_work.discard()
            flash(error.message, "error")
            return render_template(
                "certificates/settings.html",
                ministry=user.ministry,
                errors=error.details.get("fields", {}),
            ), 422
        flash(message, "info")
        return redirect(url_for("certificates.settings"))
    return render_template("certificates/settings.html", ministry=user.ministry, errors={})


@blueprint.route("/issuer/cohorts/<cohort_id>/issue", methods=["POST"])
@authz.permission_required(authz.Permission.issue_certificates)
def issue_cohort(cohort_id: str) -> ResponseReturnValue:
    queued = issuing.queue_for_cohort(authz.actor(), cohort_id)
    flash(
        _(
            "%(n)d certificados en preparación: aparecen en la lista en cuanto se emiten.",
            n=queued,
        ),
        "info",
    )
    return redirect(url_for("certificates.list_certificates", cohort=cohort_id))
