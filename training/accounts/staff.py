"""Staff management by coordinators (and administrators): list, invite, import.

Every action on an account goes through ``authz.require_rank`` / ``authz.rank_refusal``
(the rank rule, in one place). An address that belongs to an account of another
ministry is answered exactly like a new address, and nothing is created or changed for
it: see :func:`invite` and :func:`import_staff`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from training import authz
from training.accounts.models import ROLE_VALUES, Role, User, UserRole
from training.accounts.tokens import make_token
from training.accounts.users import clean_name, create_user, normalize_email, parse_roles, set_roles
from training.audit import services as audit
from training.config import LANGUAGES
from training.errors import Conflict, ValidationFailed
from training.extensions import db
from training.mail import services as mail
from training.ministries.models import Ministry, Post

IMPORTABLE_ROLES = {"learner", "coordinator", "issuer"}


def list_staff(
    actor: Any,
    *,
    search: str | None = None,
    post_id: Any = None,
    role: str | None = None,
    active: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[User], int]:
    """The ministry's staff, by name, with search, filters and pagination."""
    coordinator = authz.require(actor, authz.Permission.manage_staff)
    statement = authz.scoped(select(User), User, coordinator)
    if search:
        pattern = f"%{search.strip()[:100].lower()}%"
        statement = statement.where(
            or_(func.lower(User.full_name).like(pattern), User.email.like(pattern))
        )
    if post_id not in (None, ""):
        post = authz.get_scoped(Post, post_id, coordinator)
        statement = statement.where(User.post_id == post.id)
    if role:
        if role not in ROLE_VALUES:
            raise ValidationFailed(details={"fields": {"role": [", ".join(ROLE_VALUES)]}})
        statement = statement.where(User.role_rows.any(UserRole.role == role))
    if active is not None:
        statement = statement.where(User.active.is_(active))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = db.session.scalars(
        statement.order_by(User.full_name, User.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


@dataclass(frozen=True)
class Invited:
    """What an invitation answers when the address belongs to another ministry: the
    fields of a newly invited person, none of them stored."""

    id: int
    email: str
    full_name: str
    language: str
    post: Post | None
    roles: frozenset[Role]
    active: bool = True
    last_login_at: datetime | None = None


def _elsewhere(actor: User, user: User | None) -> bool:
    """True when ``user`` exists in a ministry the actor does not see."""
    return (
        user is not None
        and not authz.sees_all_ministries(actor)
        and user.ministry_id != actor.ministry_id
    )


def _withhold(actor: User, user: User, channel: str) -> None:
    """Record, for that ministry and the administrators only, that ``actor`` named an
    address of theirs; the actor's own log and answer show nothing of it."""
    audit.record(
        "staff.address_elsewhere",
        actor=actor,
        target=user,
        ministry_id=user.ministry_id,
        details={"channel": channel},
    )


def _unused_user_id(ministry: Ministry) -> int:
    """An id as a new account would get, allocated and released again (nothing stays)."""
    probe = User(
        email=f"{secrets.token_hex(12)}@withheld.invalid",
        full_name="-",
        ministry_id=ministry.id,
        language="es",
    )
    savepoint = db.session.begin_nested()
    db.session.add(probe)
    db.session.flush()
    found = probe.id
    # A savepoint's rollback, not the unit of work's: only the probe row goes.
    savepoint.rollback()
    return found


def invite(
    actor: Any,
    *,
    email: str,
    full_name: str,
    roles: list[str] | tuple[str, ...],
    post_id: Any = None,
    language: str = "es",
    link: Any,
) -> User | Invited:
    """Create a staff member without a password and mail them a signed, expiring,
    single-use link to choose one. ``link`` turns a token into the absolute URL.

    An address of another ministry's account gets the answer a new address gets, and
    nothing else: no account is created or changed, no mail is sent; that ministry's
    log records the attempt (``staff.address_elsewhere``).
    """
    coordinator = authz.require(actor, authz.Permission.manage_staff)
    role_list = parse_roles(roles)
    authz.require_rank(coordinator, "invite", roles=role_list)
    post = authz.get_scoped(Post, post_id, coordinator) if post_id not in (None, "") else None
    ministry = db.session.get_one(Ministry, coordinator.ministry_id)
    normalized = normalize_email(email)
    existing = db.session.scalar(select(User).where(User.email == normalized))
    if _elsewhere(coordinator, existing):
        assert existing is not None
        name = clean_name(full_name)
        if language not in LANGUAGES:
            raise ValidationFailed(details={"fields": {"language": [", ".join(LANGUAGES)]}})
        _withhold(coordinator, existing, "invite")
        return Invited(
            _unused_user_id(ministry), normalized, name, language, post, frozenset(role_list)
        )
    if existing is not None:
        # Inviting over an account is acting on it: above the actor's rank, a 403.
        authz.require_rank(coordinator, "invite", user=existing, roles=role_list)
    user = create_user(
        email=email,
        full_name=full_name,
        ministry=ministry,
        roles=[role.value for role in role_list],
        language=language,
        post=post,
        actor=coordinator,
    )
    send_invitation(user, link)
    return user


def send_invitation(user: User, link: Any) -> None:
    days = current_app.config["INVITATION_MAX_AGE"] // 86400
    with force_locale(user.language):
        subject = _("Su cuenta de Aula Consular")
        body = _(
            "Hola, %(name)s:\n\nSu ministerio le ha abierto una cuenta en Aula Consular, la "
            "plataforma de formación consular en trata de personas. Para elegir su contraseña, "
            "abra este enlace en los próximos %(days)d días:\n\n%(link)s\n\nEl enlace sirve "
            "una sola vez.\n",
            name=user.full_name,
            days=days,
            link=link(make_token(user, "invitation")),
        )
    mail.send(user.email, subject, body)
    audit.record("user.invited", actor=None, target=user)


@dataclass
class ImportResult:
    rows: list[Any]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    withheld: list[Any] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.problems)


def import_staff(actor: Any, data: bytes, *, mode: str = "preview") -> ImportResult:
    """Check a staff CSV and, unless ``mode`` is ``preview``, write it.

    ``all``: write only when every row is valid; ``valid``: write the valid rows and skip
    the others. People are matched by e-mail, so uploading the same file twice changes
    nothing the second time. Raises ``staff_import.FileProblem`` for file-level problems.

    Rows over accounts above the importer's rank, or that would change the importer's
    own roles, are refused (row problems, audited). A row whose address belongs to
    another ministry reads and counts as a new person and writes nothing.
    """
    from training.accounts import staff_import

    coordinator = authz.require(actor, authz.Permission.manage_staff)
    if mode not in {"preview", "all", "valid"}:
        raise ValidationFailed(details={"fields": {"mode": ["preview, all, valid"]}})
    rows = staff_import.read(data)
    ministry = db.session.get_one(Ministry, coordinator.ministry_id)
    posts = {post.name.casefold(): post for post in ministry.posts}
    posts_by_id = {str(post.id): post for post in ministry.posts}
    emails = []
    for row in rows:
        try:
            row.values["email"] = normalize_email(row.values.get("email", ""))
        except ValidationFailed:
            row.problems.append(_("Correo electrónico no válido."))
        emails.append(row.values.get("email", ""))
    existing = {
        user.email: user
        for user in db.session.scalars(select(User).where(User.email.in_([e for e in emails if e])))
    }
    seen: dict[str, int] = {}
    plans = []
    result = ImportResult(rows)
    for row in rows:
        values = row.values
        email = values.get("email", "")
        if email and email in seen:
            row.problems.append(_("El correo ya aparece en la línea %(line)d.", line=seen[email]))
        seen.setdefault(email, row.line)
        name = " ".join(values.get("full_name", "").split())
        if not name or len(name) > 200 or not name.isprintable():
            row.problems.append(_("Escriba un nombre de 1 a 200 caracteres."))
        language = values.get("language") or "es"
        if language not in LANGUAGES:
            row.problems.append(_("Idioma desconocido: use es, en o fr."))
        roles = [r.strip() for r in (values.get("role") or "learner").split("|") if r.strip()]
        if not roles or set(roles) - IMPORTABLE_ROLES:
            row.problems.append(_("Rol no válido: use learner, coordinator o issuer."))
        post = None
        if values.get("post"):
            post = posts.get(values["post"].casefold()) or posts_by_id.get(values["post"])
            if post is None:
                row.problems.append(
                    _("No existe el puesto %(post)s en su ministerio.", post=values["post"][:100])
                )
        user = existing.get(email)
        if _elsewhere(coordinator, user):
            # Answered as a new address; nothing is written for it (see below).
            result.withheld.append(row)
        elif user is not None and user.ministry_id != ministry.id:
            row.problems.append(_("Ese correo pertenece a una cuenta que usted no gestiona."))
        elif user is not None and not row.problems:
            wanted = set(roles) | {r.value for r in user.roles if r.value not in IMPORTABLE_ROLES}
            changes_roles = wanted != {r.value for r in user.roles}
            if user.id == coordinator.id and not changes_roles:
                pass  # one's own name, language or post: allowed
            elif authz.rank_refusal(coordinator, "import", user=user, roles=wanted):
                row.problems.append(
                    _("No puede cambiar sus propios roles.")
                    if user.id == coordinator.id
                    else _("Ese correo pertenece a una cuenta que usted no gestiona.")
                )
        plans.append((row, user, name, language, roles, post))
    writable = [plan for plan in plans if not plan[0].problems]
    withheld = {row.line for row in result.withheld}
    if mode == "preview" or (mode == "all" and result.errors):
        for row, user, *_rest in plans:
            if not row.problems:
                row.action = "update" if user is not None and row.line not in withheld else "create"
        return result
    new_users: list[User] = []
    for row, user, name, language, roles, post in writable:
        if row.line in withheld and user is not None:
            _withhold(coordinator, user, "import")
            result.created += 1
            continue
        if user is None:
            # Every rule create_user applies was checked above, row by row; adding the
            # new accounts together keeps a 5,000-row file to a few statements.
            new_users.append(
                User(
                    email=row.values["email"],
                    full_name=name,
                    ministry_id=ministry.id,
                    language=language,
                    post_id=post.id if post else None,
                    active=True,
                    auth_version=1,
                    role_rows=[UserRole(role=role) for role in sorted(set(roles))],
                )
            )
            result.created += 1
            continue
        wanted_roles = sorted(
            set(roles) | {r.value for r in user.roles if r.value not in IMPORTABLE_ROLES}
        )
        if (user.full_name, user.language, user.post_id, sorted(r.value for r in user.roles)) == (
            name,
            language,
            post.id if post else user.post_id,
            wanted_roles,
        ):
            result.unchanged += 1
            continue
        user.full_name, user.language = name, language
        if post is not None:
            user.post_id = post.id
        if sorted(r.value for r in user.roles) != wanted_roles:
            set_roles(user, wanted_roles, actor=coordinator)
        result.updated += 1
    db.session.add_all(new_users)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            _("Otra importación acaba de crear alguno de estos correos. Vuelva a intentarlo.")
        ) from None
    result.written = True
    audit.record(
        "staff.imported",
        actor=coordinator,
        ministry_id=ministry.id,
        details={"created": result.created, "updated": result.updated, "skipped": result.errors},
    )
    return result
