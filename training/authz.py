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

Rank: :func:`grantable_roles` is the one rule for which roles an actor may hand out, and
:func:`require_rank` applies it to every action on another account (deactivating,
reactivating, changing roles, inviting or importing over it): the account's roles, old
and new, must all be roles the actor may grant. A refusal is a 403 and is announced
(``signals.staff_action_refused``) so that the audit log keeps it; a record of another
ministry that a request names is announced too (``signals.access_denied``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from flask_login import current_user
from sqlalchemy import Select

from training import signals
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
    view_indicators = "view_indicators"


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
    # The CRM indicators: aggregates only; a coordinator's own ministry, the region for
    # the others (see sees_every_ministry_figures).
    Permission.view_indicators: frozenset({Role.coordinator, Role.regional, Role.admin}),
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


def sees_every_ministry_figures(actor: User) -> bool:
    """Aggregate figures (counts, never a named person) of every ministry and of the
    region: the CRM Technical Secretariat and administrators. Coordinators see their own
    ministry's."""
    return bool(actor.roles & {Role.regional, Role.admin})


def scoped(statement: Select[Any], model: Any, actor: User) -> Select[Any]:
    """Narrow ``statement`` to rows of ``model`` in the actor's ministry."""
    if sees_all_ministries(actor):
        return statement
    return statement.where(model.ministry_id == actor.ministry_id)


def check_ministry(actor: User, ministry_id: int | None, *, target: Any = None) -> None:
    """404 unless the actor may see records of ``ministry_id``.

    ``target`` is the record being reached (its type and id go to the audit log); the
    refusal is announced with :data:`training.signals.access_denied`.
    """
    if sees_all_ministries(actor):
        return
    if ministry_id != actor.ministry_id:
        signals.access_denied.send(
            __name__,
            actor=actor,
            target_type=type(target).__name__ if target is not None else None,
            target_id=getattr(target, "id", None),
            ministry_id=ministry_id,
        )
        raise NotFound()


# --- Rank: which accounts an actor may act on --------------------------------------------

COORDINATOR_GRANTS = frozenset({Role.learner, Role.coordinator, Role.issuer})


def grantable_roles(actor: User) -> frozenset[Role]:
    """The roles ``actor`` may grant, and so the roles an account may hold for ``actor``
    to act on it: everything for an administrator; learner, coordinator and issuer (of
    their own ministry) for a coordinator; nothing for anyone else."""
    if Role.admin in actor.roles:
        return frozenset(Role)
    if Role.coordinator in actor.roles:
        return COORDINATOR_GRANTS
    return frozenset()


def outranks(actor: User, user: User) -> bool:
    """True when ``actor`` may act on ``user`` (never on themselves): the staff pages
    offer actions only on these accounts."""
    return user.id != actor.id and not set(user.roles) - grantable_roles(actor)


def rank_refusal(
    actor: User,
    action: str,
    *,
    user: User | None = None,
    roles: Any = (),
) -> str | None:
    """Why ``actor`` may not do ``action`` to ``user`` granting ``roles``, or None.

    ``user`` (an existing account, or None for a new one) must hold only roles the actor
    may grant, and must not be the actor; ``roles`` (the roles the
    account is to have) must all be grantable. A refusal (``"self"`` or ``"rank"``) is
    announced with :data:`training.signals.staff_action_refused`, for the audit log.
    """
    grantable = grantable_roles(actor)
    held = set(user.roles) if user is not None else set()
    wanted = {Role(role) for role in roles}
    reason = None
    if user is not None and user.id == actor.id:
        reason = "self"
    elif (held | wanted) - grantable:
        reason = "rank"
    if reason is not None:
        signals.staff_action_refused.send(
            __name__,
            actor=actor,
            action=action,
            user=user,
            roles=sorted(role.value for role in wanted),
            reason=reason,
        )
    return reason


def require_rank(actor: User, action: str, *, user: User | None = None, roles: Any = ()) -> None:
    """403 (announced and audited) unless :func:`rank_refusal` finds nothing to refuse."""
    if rank_refusal(actor, action, user=user, roles=roles) is not None:
        raise Forbidden()


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
    check_ministry(actor, record.ministry_id, target=record)  # type: ignore[attr-defined]
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

    def template_outranks(user: User) -> bool:
        acting = current_user._get_current_object()
        return _is_active_user(acting) and outranks(acting, user)

    app.jinja_env.globals["can"] = template_can
    app.jinja_env.globals["outranks"] = template_outranks
