"""Authorization in one place: who may do what, and which ministry's records they see.

Every view, API endpoint and service goes through this module:

* :func:`require` checks a permission for an actor (401 when nobody is signed in, 403
  when the role does not allow it). Views use the :func:`permission_required` decorator,
  which calls the same function (a page visited by nobody sends the visitor to the
  sign-in form instead of the 401); services call it with the actor they are given.
* :func:`scoped` narrows a query to the actor's ministry, and :func:`get_scoped` loads one
  record by id and answers 404 when it belongs to another ministry, so that ids of
  other tenants are indistinguishable from ids that do not exist.

Roles are additive: a user may be a learner and a coordinator at once. Administrators
see every ministry; nobody else sees past their own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from flask_login import current_user
from sqlalchemy import Select

from training.database import parse_id
from training.errors import Forbidden, NotFound, Unauthenticated
from training.extensions import db, login_manager
from training.roles import Role

if TYPE_CHECKING:  # authz is core: it knows the user's shape, not the accounts package
    from training.accounts.models import User


class Permission(enum.StrEnum):
    learn = "learn"
    manage_staff = "manage_staff"
    view_ministry_reports = "view_ministry_reports"
    issue_certificates = "issue_certificates"
    view_certificates = "view_certificates"
    view_regional_reports = "view_regional_reports"
    manage_ministries = "manage_ministries"
    manage_content = "manage_content"
    manage_external_courses = "manage_external_courses"
    read_audit_log = "read_audit_log"


POLICY: dict[Permission, frozenset[Role]] = {
    Permission.learn: frozenset(Role),
    Permission.manage_staff: frozenset({Role.coordinator, Role.admin}),
    Permission.view_ministry_reports: frozenset({Role.coordinator, Role.admin}),
    Permission.issue_certificates: frozenset({Role.issuer, Role.admin}),
    Permission.view_certificates: frozenset({Role.coordinator, Role.issuer, Role.admin}),
    Permission.view_regional_reports: frozenset({Role.regional, Role.admin}),
    Permission.manage_ministries: frozenset({Role.admin}),
    Permission.manage_content: frozenset({Role.admin}),
    Permission.manage_external_courses: frozenset({Role.coordinator, Role.admin}),
    Permission.read_audit_log: frozenset({Role.coordinator, Role.admin}),
}


def authenticated(actor: Any) -> User:
    """Return ``actor`` as a signed-in, active user, or raise :class:`Unauthenticated`."""
    if not _is_active_user(actor):
        raise Unauthenticated()
    return actor


def can(actor: Any, permission: Permission) -> bool:
    return _is_active_user(actor) and bool(actor.roles & POLICY[permission])


def require(actor: Any, permission: Permission) -> User:
    """Return the actor when it holds ``permission``; raise 401 or 403 otherwise."""
    user = authenticated(actor)
    if not user.roles & POLICY[permission]:
        raise Forbidden()
    return user


def sees_all_ministries(actor: User) -> bool:
    return Role.admin in actor.roles


def scoped(statement: Select[Any], model: Any, actor: User) -> Select[Any]:
    """Narrow ``statement`` to rows of ``model`` in the actor's ministry."""
    if sees_all_ministries(actor):
        return statement
    return statement.where(model.ministry_id == actor.ministry_id)


def check_ministry(actor: User, ministry_id: int | None) -> None:
    """404 unless the actor may see records of ``ministry_id``."""
    if sees_all_ministries(actor):
        return
    if ministry_id != actor.ministry_id:
        raise NotFound()


T = TypeVar("T")


def get_scoped(model: type[T], record_id: Any, actor: User) -> T:
    """Load ``model`` by primary key within the actor's reach, or raise :class:`NotFound`.

    Ids that are not integers, are out of the database's range, do not exist, or belong
    to another ministry all give the same 404.
    """
    key = parse_id(record_id)
    record = db.session.get(model, key) if key is not None else None
    if record is None:
        raise NotFound()
    check_ministry(actor, record.ministry_id)  # type: ignore[attr-defined]
    return record


P = ParamSpec("P")
R = TypeVar("R")


def permission_required(permission: Permission) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator for views and API endpoints: the signed-in user must hold ``permission``."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if not _signed_in():
                return _unauthorized()
            require(current_user._get_current_object(), permission)
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorator


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Decorator: any signed-in, active user."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not _signed_in():
            return _unauthorized()
        return view(*args, **kwargs)

    return wrapper


def _signed_in() -> bool:
    return _is_active_user(current_user._get_current_object())


def _is_active_user(actor: Any) -> bool:
    """A signed-in account that is active: Flask-Login's anonymous user, ``None`` or any
    other object is not (the roles it holds are checked by the callers)."""
    return (
        getattr(actor, "is_authenticated", False) is True
        and getattr(actor, "active", False) is True
        and isinstance(getattr(actor, "roles", None), frozenset)
    )


def _unauthorized() -> Any:
    """Nobody is signed in: pages send the visitor to the sign-in form (and back
    afterwards), the API answers 401 (Flask-Login's unauthorized handler decides)."""
    return login_manager.unauthorized()


def actor() -> User:
    """The signed-in user of the current request (401 when there is none)."""
    return authenticated(current_user._get_current_object())


def init_app(app: Any) -> None:
    """``can('permission')`` in templates, for showing only the links a user may follow."""

    def template_can(permission: str) -> bool:
        return can(current_user._get_current_object(), Permission(permission))

    app.jinja_env.globals["can"] = template_can
