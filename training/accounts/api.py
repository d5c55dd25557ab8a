"""Accounts API: bearer tokens and the caller's own profile."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from training import authz
from training.accounts import schemas, services
from training.accounts.limits import login_limits
from training.errors import NotFound, Unauthenticated
from training.extensions import db
from training.i18n import current_language

blp = Blueprint(
    "accounts_api",
    __name__,
    url_prefix="/api/v1",
    description="Authentication and the signed-in user.",
)


@blp.route("/auth/tokens")
class Tokens(MethodView):
    @blp.arguments(schemas.TokenRequestSchema)
    @blp.response(201, schemas.TokenSchema)
    @blp.alt_response(401, description="Wrong e-mail or password, or inactive account.")
    @blp.alt_response(429, description="Too many attempts; see Retry-After.")
    @login_limits
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange an e-mail and password for a bearer token (shown once)."""
        user = services.authenticate(data["email"], data["password"])
        if user is None:
            db.session.commit()  # keep the audit record of the failed attempt
            raise Unauthenticated("Wrong e-mail or password.")
        issued = services.create_token(user)
        db.session.commit()
        return {"token": issued.token, "expires_at": issued.expires_at}


@blp.route("/auth/tokens/current")
class CurrentToken(MethodView):
    @blp.response(204)
    @blp.alt_response(401, description="No valid bearer token.")
    @authz.login_required
    def delete(self) -> None:
        """Revoke the bearer token this request is authenticated with."""
        record = g.get("api_token")
        if record is None:
            raise NotFound("This request is not authenticated with a bearer token.")
        services.revoke_token(record, actor=authz.actor())
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, schemas.MeSchema)
    @blp.alt_response(401, description="Not signed in.")
    @authz.login_required
    def get(self) -> dict[str, Any]:
        """The signed-in user: identity, ministry, post and roles."""
        user = authz.actor()
        language = current_language()
        return {
            "id": user.id,
            "email": user.email,
            "full_name": user.full_name,
            "language": user.language,
            "ministry": {"code": user.ministry.code, "name": user.ministry.name(language)},
            "post": user.post,
            "roles": sorted(role.value for role in user.roles),
        }
