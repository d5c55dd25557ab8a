"""Sign-in, sign-out and password pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from training import authz
from training.accounts import services
from training.accounts.forms import LoginForm, PasswordChangeForm, ResetForm, ResetRequestForm
from training.accounts.limits import login_limits
from training.errors import DomainError, Invalid
from training.extensions import db
from training.net import safe_next

blueprint = Blueprint("accounts", __name__)


def _next_page() -> str:
    return safe_next(request.args.get("next"), url_for("system.dashboard"))


@blueprint.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            # A fresh session at sign-in: nothing from before survives (fixation).
            language = session.get("language")
            session.clear()
            if language:
                session["language"] = language
            login_user(user, remember=False)
            db.session.commit()
            return redirect(_next_page())
        db.session.commit()  # keep the audit record of the failed attempt
        flash(_("Correo electrónico o contraseña incorrectos."), "error")
        return render_template("accounts/login.html", form=form), 200
    return render_template("accounts/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    from flask_login import current_user

    if current_user.is_authenticated:
        services.record_logout(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("Ha cerrado la sesión."), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@authz.login_required
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = authz.actor()
        try:
            services.change_password(
                user, form.current_password.data or "", form.new_password.data or ""
            )
        except DomainError as error:
            db.session.rollback()
            form.new_password.errors = (
                list(error.details.get("fields", {}).get("password", [])) or []
            )
            if "current_password" in error.details.get("fields", {}):
                form.current_password.errors = [error.message]
            return render_template("accounts/password_change.html", form=form), 422
        db.session.commit()
        # The auth version changed: sign in again on this browser with the new one.
        session.clear()
        login_user(user, remember=False)
        flash(_("Su contraseña se ha cambiado."), "info")
        return redirect(url_for("system.dashboard"))
    return render_template("accounts/password_change.html", form=form)


@blueprint.route("/account/reset", methods=["GET", "POST"])
@login_limits
def request_reset() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data or "",
            # The configured public address, never the request's Host header.
            lambda token: (
                current_app.config["PUBLIC_BASE_URL"] + url_for("accounts.reset", token=token)
            ),
        )
        db.session.commit()
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
        services.user_for_reset_token(token)
    except Invalid as error:
        return render_template("accounts/reset_invalid.html", message=error.message), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.new_password.data or "")
        except DomainError as error:
            db.session.rollback()
            form.new_password.errors = list(
                error.details.get("fields", {}).get("password", [error.message])
            )
            return render_template("accounts/reset.html", form=form), 422
        db.session.commit()
        flash(_("Su contraseña se ha cambiado. Ya puede iniciar sesión."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)
