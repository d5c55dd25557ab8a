"""Accounts API: bearer tokens and the caller's own profile."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from training import authz
from training.accounts import credentials, profile, schemas, staff, tokens, users
from training.accounts.limits import login_limits
from training.accounts.models import User
from training.errors import NotFound, Unauthenticated
from training.i18n import current_language
from training.ministries import services as ministries
from training.schemas import envelope

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
        user = credentials.authenticate(data["email"], data["password"])
        if user is None:
            raise Unauthenticated(_("Correo electrónico o contraseña incorrectos."))
        issued = tokens.create_token(user)
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
            raise NotFound(_("Esta petición no se autenticó con un token."))
        tokens.revoke_token(record, actor=authz.actor())


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

    @blp.arguments(schemas.ProfileUpdateSchema)
    @blp.response(204)
    @blp.alt_response(401, description="Not signed in.")
    @blp.alt_response(422, description="Not one of the answers offered.")
    @authz.login_required
    def patch(self, data: dict[str, Any]) -> None:
        """Set or clear the caller's optional answer on sex (for the CRM indicators)."""
        user = authz.actor()
        profile.set_sex(user, data["sex"], actor=user)


# --- Staff management (coordinators, own ministry) --------------------------------------


def staff_data(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "post": user.post,
        "roles": sorted(role.value for role in user.roles),
        "active": user.active,
        "last_login_at": user.last_login_at,
    }


def invitation_link(token: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + url_for("accounts.welcome", token=token)


@blp.route("/staff")
class Staff(MethodView):
    @blp.arguments(schemas.StaffQuerySchema, location="query")
    @blp.response(200, schemas.StaffListSchema)
    @authz.permission_required(authz.Permission.manage_staff)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The ministry's staff, with search, filters and pagination."""
        rows, total = staff.list_staff(
            authz.actor(),
            search=query.get("q"),
            post_id=query.get("post"),
            role=query.get("role"),
            active=query.get("active"),
            page=query["page"],
            per_page=query["per_page"],
        )
        return envelope(
            [staff_data(user) for user in rows], total, query["page"], query["per_page"]
        )

    @blp.arguments(schemas.InvitationSchema)
    @blp.response(201, schemas.StaffSchema)
    @blp.alt_response(409, description="The e-mail is already in use.")
    @authz.permission_required(authz.Permission.manage_staff)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Invite a staff member: an account without a password, and an e-mail with a
        signed link (valid seven days, once) to choose one."""
        user = staff.invite(
            authz.actor(),
            email=data["email"],
            full_name=data["full_name"],
            roles=data["roles"],
            post_id=data.get("post"),
            language=data["language"],
            link=invitation_link,
        )
        return staff_data(user)


@blp.route("/staff/import")
class StaffImport(MethodView):
    # A 5,000-row file is larger than an ordinary JSON body (see training.security).
    body_limit_setting = "STAFF_IMPORT_MAX_BODY_BYTES"

    @blp.arguments(schemas.ImportQuerySchema, location="query")
    @blp.response(200, schemas.ImportResultSchema)
    @blp.alt_response(400, description="The file cannot be read (encoding, headers, size).")
    @authz.permission_required(authz.Permission.manage_staff)
    def post(self, query: dict[str, Any]) -> dict[str, Any]:
        """Import staff from CSV (a ``file`` upload or a ``text/csv`` body).

        ``mode=preview`` (default) writes nothing and lists row problems; ``all`` writes
        only if every row is valid; ``valid`` writes the valid rows.
        """
        upload = request.files.get("file")
        data = upload.read() if upload is not None else request.get_data()
        # A file-level problem is a CsvProblem: 400 (413 when too large), nothing written.
        result = staff.import_staff(authz.actor(), data, mode=query["mode"])
        return import_data(result, query["mode"])


def import_data(result: staff.ImportResult, mode: str) -> dict[str, Any]:
    return {
        "mode": mode,
        "written": result.written,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": result.errors,
        "rows": [
            {
                "line": row.line,
                "email": row.values.get("email", ""),
                "action": row.action if not row.problems else "error",
                "problems": row.problems,
            }
            for row in result.rows
        ],
    }


@blp.route("/staff/<user_id>/deactivation")
class StaffDeactivation(MethodView):
    @blp.response(200, schemas.StaffSchema)
    @blp.alt_response(403, description="Your own account, or one holding a role you may not grant.")
    @blp.alt_response(404, description="No such person in your ministry.")
    @blp.alt_response(409, description="The last active administrator.")
    @authz.permission_required(authz.Permission.manage_staff)
    def post(self, user_id: str) -> dict[str, Any]:
        """Stop a staff member from signing in; their records stay in the reports."""
        coordinator = authz.actor()
        user = users.deactivate(authz.get_scoped(User, user_id, coordinator), actor=coordinator)
        return staff_data(user)


@blp.route("/staff/<user_id>/reactivation")
class StaffReactivation(MethodView):
    @blp.response(200, schemas.StaffSchema)
    @blp.alt_response(403, description="The account holds a role you may not grant.")
    @blp.alt_response(404, description="No such person in your ministry.")
    @authz.permission_required(authz.Permission.manage_staff)
    def post(self, user_id: str) -> dict[str, Any]:
        """Let a deactivated staff member sign in again."""
        coordinator = authz.actor()
        user = users.reactivate(authz.get_scoped(User, user_id, coordinator), actor=coordinator)
        return staff_data(user)


@blp.route("/posts")
class Posts(MethodView):
    @blp.response(200, schemas.PostListSchema)
    @authz.permission_required(authz.Permission.manage_staff)
    def get(self) -> dict[str, Any]:
        """The ministry's posts."""
        items = ministries.list_posts(authz.actor())
        return envelope(items)

    @blp.arguments(schemas.PostInSchema)
    @blp.response(201, schemas.PostSchema)
    @authz.permission_required(authz.Permission.manage_staff)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a consulate, embassy or headquarters unit to the ministry."""
        coordinator = authz.actor()
        post = ministries.create_post(
            coordinator.ministry,
            kind=data["kind"],
            name=data["name"],
            city=data["city"],
            country=data["country"],
            actor=coordinator,
        )
        return post
