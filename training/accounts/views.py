"""Sign-in, sign-out and password pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from training import authz, unit_of_work
from training.accounts import credentials, profile, staff, tokens, users
from training.accounts.authentication import sign_in, sign_out
from training.accounts.forms import (
    SEX_CHOICES,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetForm,
    ResetRequestForm,
)
from training.accounts.limits import login_limits, reset_limits
from training.errors import DomainError, Invalid
from training.net import safe_next

blueprint = Blueprint("accounts", __name__)


def _next_page() -> str:
    return safe_next(request.args.get("next"), url_for("system.dashboard"))


@blueprint.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        user = credentials.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            sign_in(user)
            return redirect(_next_page())
        flash(_("Correo electrónico o contraseña incorrectos."), "error")
        return render_template("accounts/login.html", form=form), 200
    return render_template("accounts/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    from flask_login import current_user

    if current_user.is_authenticated:
        credentials.record_logout(current_user._get_current_object())
    sign_out()
    flash(_("Ha cerrado la sesión."), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/account", methods=["GET", "POST"])
@authz.login_required
def account() -> ResponseReturnValue:
    """The user's own account: the optional answer on sex (for the CRM indicators'
    aggregates only) and the link to change the password."""
    user = authz.actor()
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            profile.set_sex(user, form.sex.data, actor=user)
        except DomainError as error:
            unit_of_work.discard()
            form.sex.errors = list(error.details.get("fields", {}).get("sex", [error.message]))
            return render_template("accounts/account.html", form=form, choices=SEX_CHOICES), 422
        flash(_("Sus datos se han guardado."), "info")
        return redirect(url_for("accounts.account"))
    if request.method == "GET":
        form.sex.data = user.sex or ""
    status = 400 if form.errors else 200
    return render_template("accounts/account.html", form=form, choices=SEX_CHOICES), status


@blueprint.route("/account/password", methods=["GET", "POST"])
@authz.login_required
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = authz.actor()
        try:
            credentials.change_password(
                user, form.current_password.data or "", form.new_password.data or ""
            )
        except DomainError as error:
            unit_of_work.discard()
            form.new_password.errors = (
                list(error.details.get("fields", {}).get("password", [])) or []
            )
            if "current_password" in error.details.get("fields", {}):
                form.current_password.errors = [error.message]
            return render_template("accounts/password_change.html", form=form), 422
        # Every session of the user ended with the change: sign this browser in again.
        sign_in(user)
        flash(_("Su contraseña se ha cambiado."), "info")
        return redirect(url_for("system.dashboard"))
    return render_template("accounts/password_change.html", form=form)


@blueprint.route("/account/reset", methods=["GET", "POST"])
@reset_limits
def request_reset() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        credentials.request_password_reset(
            form.email.data or "",
            # The configured public address, never the request's Host header.
            lambda token: (
                current_app.config["PUBLIC_BASE_URL"] + url_for("accounts.reset", token=token)
            ),
        )
        flash(
            _(
                "Si la dirección corresponde a una cuenta activa, recibirá un enlace para "
                "elegir una contraseña nueva."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@blueprint.route("/account/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    if len(token) > 500:
        raise Invalid(_("El enlace no es válido."))
    try:
        tokens.user_for_token(token)
    except Invalid as error:
        return render_template("accounts/reset_invalid.html", message=error.message), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            credentials.reset_password(token, form.new_password.data or "")
        except DomainError as error:
            unit_of_work.discard()
            form.new_password.errors = list(
                error.details.get("fields", {}).get("password", [error.message])
            )
            return render_template("accounts/reset.html", form=form), 422
        flash(_("Su contraseña se ha cambiado. Ya puede iniciar sesión."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@blueprint.route("/account/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str) -> ResponseReturnValue:
    """An invited staff member chooses their password (the link works once)."""
    if len(token) > 500:
        raise Invalid(_("El enlace no es válido."))
    try:
        tokens.user_for_token(token, "invitation")
    except Invalid as error:
        return render_template("accounts/reset_invalid.html", message=error.message), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            credentials.reset_password(token, form.new_password.data or "", purpose="invitation")
        except DomainError as error:
            unit_of_work.discard()
            form.new_password.errors = list(
                error.details.get("fields", {}).get("password", [error.message])
            )
            return render_template("accounts/reset.html", form=form), 422
        flash(_("Contraseña guardada. Ya puede iniciar sesión."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


# --- Staff management pages (coordinators) ----------------------------------------------


@blueprint.route("/coordination/staff")
@authz.permission_required(authz.Permission.manage_staff)
def list_staff() -> ResponseReturnValue:
    from training.ministries import services as ministries

    user = authz.actor()
    args = request.args
    page = int(args["page"]) if args.get("page", "").isdigit() and len(args["page"]) < 6 else 1
    active = {"1": True, "0": False}.get(args.get("active", ""))
    rows, total = staff.list_staff(
        user,
        search=args.get("q") or None,
        post_id=args.get("post") or None,
        role=args.get("role") or None,
        active=active,
        page=max(page, 1),
        per_page=50,
    )
    return render_template(
        "accounts/staff.html",
        rows=rows,
        total=total,
        page=max(page, 1),
        posts=ministries.list_posts(user),
        args=args,
        result=None,
    )


@blueprint.route("/coordination/staff/invite", methods=["POST"])
@authz.permission_required(authz.Permission.manage_staff)
def invite_staff() -> ResponseReturnValue:
    from training.accounts.api import invitation_link

    try:
        user = staff.invite(
            authz.actor(),
            email=request.form.get("email", ""),
            full_name=request.form.get("full_name", ""),
            roles=request.form.getlist("roles") or ["learner"],
            post_id=request.form.get("post") or None,
            language=request.form.get("language", "es"),
            link=invitation_link,
        )
    except DomainError as error:
        unit_of_work.discard()
        if error.status == 404:
            raise
        problems = [p for ps in error.details.get("fields", {}).values() for p in ps]
        flash(" ".join([error.message, *map(str, problems)]), "error")
        return redirect(url_for("accounts.list_staff"))
    flash(_("Invitación enviada a %(email)s.", email=user.email), "info")
    return redirect(url_for("accounts.list_staff"))


@blueprint.route("/coordination/staff/import", methods=["POST"])
@authz.permission_required(authz.Permission.manage_staff)
def import_staff() -> ResponseReturnValue:
    from training.accounts import staff_import
    from training.ministries import services as ministries

    user = authz.actor()
    upload = request.files.get("file")
    mode = request.form.get("mode", "preview")
    try:
        result = staff.import_staff(user, upload.read() if upload else b"", mode=mode)
    except staff_import.FileProblem as problem:
        unit_of_work.discard()
        flash(problem.message, "error")
        return redirect(url_for("accounts.list_staff"))
    rows, total = staff.list_staff(user, per_page=50)
    return render_template(
        "accounts/staff.html",
        rows=rows,
        total=total,
        page=1,
        posts=ministries.list_posts(user),
        args={},
        result=result,
        mode=mode,
    )


@blueprint.route("/coordination/staff/<user_id>/deactivate", methods=["POST"])
@authz.permission_required(authz.Permission.manage_staff)
def deactivate_staff(user_id: str) -> ResponseReturnValue:
    from training.accounts.models import User

    coordinator = authz.actor()
    person = users.deactivate(authz.get_scoped(User, user_id, coordinator), actor=coordinator)
    flash(
        _(
            "%(name)s ya no puede iniciar sesión; sus registros se conservan.",
            name=person.full_name,
        ),
        "info",
    )
    return redirect(url_for("accounts.list_staff"))


@blueprint.route("/coordination/staff/<user_id>/reactivate", methods=["POST"])
@authz.permission_required(authz.Permission.manage_staff)
def reactivate_staff(user_id: str) -> ResponseReturnValue:
    from training.accounts.models import User

    coordinator = authz.actor()
    person = users.reactivate(authz.get_scoped(User, user_id, coordinator), actor=coordinator)
    flash(_("%(name)s puede volver a iniciar sesión.", name=person.full_name), "info")
    return redirect(url_for("accounts.list_staff"))
