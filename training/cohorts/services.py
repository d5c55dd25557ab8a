"""Cohorts: creating them, adding learners (by filter or by a list of e-mails), and
who is late. Every function takes the acting coordinator and stays inside their ministry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.exc import IntegrityError

from training import authz
from training.accounts.models import Role, User, UserRole
from training.audit import services as audit
from training.catalog.models import Program, current_programs
from training.cohorts.models import Cohort, CohortMember
from training.database import parse_id, utcnow
from training.errors import Conflict, NotFound, ValidationFailed
from training.extensions import db
from training.progress.models import ProgramCompletion
from training.progress.programs import enrol


def _coordinator(actor: Any) -> User:
    return authz.require(actor, authz.Permission.manage_staff)


def _parse_date(value: Any, field: str, problems: dict[str, list[str]]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        problems[field] = [_("Fecha no válida (AAAA-MM-DD).")]
        return None


def create(actor: Any, *, name: str, program_slug: str, starts_on: Any, deadline: Any) -> Cohort:
    user = _coordinator(actor)
    problems: dict[str, list[str]] = {}
    clean = " ".join(str(name or "").split())
    if not 1 <= len(clean) <= 120:
        problems["name"] = [_("De 1 a 120 caracteres.")]
    start = _parse_date(starts_on, "starts_on", problems)
    end = _parse_date(deadline, "deadline", problems)
    if start and end and end < start:
        problems["deadline"] = [_("La fecha límite no puede ser anterior al inicio.")]
    # A cohort follows the program's current version, and keeps it when a new one comes.
    program = db.session.scalars(
        current_programs().where(Program.slug == str(program_slug or "")[:60])
    ).first()
    if program is None:
        problems["program"] = [_("No existe ese programa.")]
    if problems:
        raise ValidationFailed(details={"fields": problems})
    assert start is not None and end is not None and program is not None
    cohort = Cohort(
        ministry_id=user.ministry_id,
        program_id=program.id,
        name=clean,
        starts_on=start,
        deadline=end,
        created_by_id=user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(cohort)
    except IntegrityError:
        raise Conflict(_("Ya existe un grupo con ese nombre.")) from None
    audit.record("cohort.created", actor=user, target=cohort, details={"name": clean})
    return cohort


def get(actor: Any, cohort_id: Any) -> Cohort:
    return authz.get_scoped(Cohort, cohort_id, _coordinator(actor))


@dataclass(frozen=True)
class CohortSummary:
    """A cohort with its members and how many completed its program (plain values: safe
    to read after the request's session is gone, as a streamed export does)."""

    cohort_id: int
    name: str
    program: str
    starts_on: date
    deadline: date
    members: int
    completed: int

    @classmethod
    def of(cls, cohort: Cohort, members: int, completed: int) -> CohortSummary:
        return cls(
            cohort.id,
            cohort.name,
            cohort.program.slug,
            cohort.starts_on,
            cohort.deadline,
            members,
            completed,
        )

    @property
    def overdue(self) -> int:
        return self.members - self.completed if date.today() > self.deadline else 0

    @property
    def completion_rate(self) -> float | None:
        """Per cent, one decimal; None without members."""
        return round(100 * self.completed / self.members, 1) if self.members else None


def tally(
    ministry_id: int | None, *, post_id: int | None = None, cohort_id: int | None = None
) -> list[CohortSummary]:
    """The cohorts of a ministry (every ministry: None), or just one, newest deadline
    first, each with its members (only those at ``post_id`` when given) and how many of
    them completed the cohort's program; one query. Callers check who may see them."""
    member = CohortMember.cohort_id == Cohort.id
    if post_id is not None:
        member = and_(
            member, CohortMember.user_id.in_(select(User.id).where(User.post_id == post_id))
        )
    completed = exists().where(
        ProgramCompletion.user_id == CohortMember.user_id,
        ProgramCompletion.program_id == Cohort.program_id,
    )
    statement = (
        select(
            Cohort.id,
            Cohort.name,
            Program.slug,
            Cohort.starts_on,
            Cohort.deadline,
            func.count(CohortMember.user_id),
            func.sum(case((completed, 1), else_=0)),
        )
        .join(Program, Program.id == Cohort.program_id)
        .outerjoin(CohortMember, member)
        .group_by(Cohort.id, Cohort.name, Program.slug, Cohort.starts_on, Cohort.deadline)
        .order_by(Cohort.deadline.desc(), Cohort.id)
    )
    if ministry_id is not None:
        statement = statement.where(Cohort.ministry_id == ministry_id)
    if cohort_id is not None:
        statement = statement.where(Cohort.id == cohort_id)
    return [
        CohortSummary(
            cohort_id=row[0],
            name=row[1],
            program=row[2],
            starts_on=row[3],
            deadline=row[4],
            members=int(row[5] or 0),
            completed=int(row[6] or 0),
        )
        for row in db.session.execute(statement)
    ]


def summaries(actor: Any) -> list[CohortSummary]:
    """The cohorts the coordinator manages (administrators: every ministry's), with
    member and completion counts; one query."""
    user = _coordinator(actor)
    return tally(None if authz.sees_all_ministries(user) else user.ministry_id)


@dataclass
class MemberRow:
    user: User
    completed_at: Any

    def overdue(self, cohort: Cohort) -> bool:
        return self.completed_at is None and date.today() > cohort.deadline


def members(actor: Any, cohort: Cohort) -> list[MemberRow]:
    """The cohort's members with their program completion, by name."""
    _coordinator(actor)
    rows = db.session.execute(
        select(User, ProgramCompletion.completed_at)
        .join(CohortMember, CohortMember.user_id == User.id)
        .outerjoin(
            ProgramCompletion,
            (ProgramCompletion.user_id == User.id)
            & (ProgramCompletion.program_id == cohort.program_id),
        )
        .where(CohortMember.cohort_id == cohort.id)
        .order_by(User.full_name)
    ).all()
    return [MemberRow(user, completed_at) for user, completed_at in rows]


def add_members(
    actor: Any,
    cohort: Cohort,
    *,
    user_ids: list[Any] | None = None,
    post_id: Any = None,
    all_learners: bool = False,
) -> int:
    """Add learners of the cohort's ministry: by ids, everyone at a post, or every active
    learner. Ids of other ministries are refused like unknown ones. Returns how many
    were added (those already in are left as they are)."""
    user = _coordinator(actor)
    authz.check_ministry(user, cohort.ministry_id)
    statement = select(User.id).where(User.ministry_id == cohort.ministry_id)
    if user_ids is not None:
        statement = statement.where(User.id.in_(_reachable_ids(user, user_ids)))
    elif post_id not in (None, ""):
        from training.ministries.models import Post

        post = authz.get_scoped(Post, post_id, user)
        statement = statement.where(User.post_id == post.id, User.active.is_(True))
    elif all_learners:
        statement = statement.where(User.active.is_(True)).join(
            UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.learner.value)
        )
    else:
        raise ValidationFailed(_("Elija a quién añadir."))
    wanted = set(db.session.scalars(statement))
    present = set(
        db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))
    )
    new = sorted(wanted - present)
    now = utcnow()
    db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=uid, added_at=now) for uid in new)
    db.session.flush()
    enrol(new, cohort.program)
    if new:
        audit.record("cohort.members_added", actor=user, target=cohort, details={"count": len(new)})
    return len(new)


def _reachable_ids(user: User, values: list[Any]) -> list[int]:
    """The users ``values`` names, all looked up in one query; one that is not an id,
    does not exist or is out of the actor's reach makes the whole list a 404."""
    parsed = {parse_id(value) for value in values}
    keys = {key for key in parsed if key is not None}
    if len(keys) != len(parsed):
        raise NotFound()
    found = set(
        db.session.scalars(authz.scoped(select(User.id).where(User.id.in_(keys)), User, user))
    )
    if found != keys:
        raise NotFound()
    return sorted(found)


def add_members_by_email(actor: Any, cohort: Cohort, emails: list[str]) -> tuple[int, list[str]]:
    """Add the listed e-mails (one per CSV row); e-mails that are not staff of the
    ministry are returned, so that the coordinator sees which rows were not matched."""
    user = _coordinator(actor)
    cleaned = {e.strip().lower() for e in emails if e and e.strip()}
    found = (
        dict(
            db.session.execute(
                select(User.email, User.id).where(
                    User.email.in_(cleaned), User.ministry_id == cohort.ministry_id
                )
            ).all()
        )
        if cleaned
        else {}
    )
    missing = sorted(cleaned - set(found))
    added = add_members(user, cohort, user_ids=list(found.values())) if found else 0
    return added, missing


def remove_member(actor: Any, cohort: Cohort, user_id: Any) -> None:
    user = _coordinator(actor)
    member = authz.get_scoped(User, user_id, user)
    row = db.session.get(CohortMember, (cohort.id, member.id))
    if row is None:
        raise NotFound()
    db.session.delete(row)
    db.session.flush()
    audit.record("cohort.member_removed", actor=user, target=cohort, details={"user_id": member.id})


@dataclass
class Deadline:
    name: str
    deadline: date
    completed: bool

    @property
    def overdue(self) -> bool:
        return not self.completed and date.today() > self.deadline


def deadlines_for(user: User) -> list[Deadline]:
    """The learner's cohorts and deadlines, for the dashboard (one query)."""
    rows = db.session.execute(
        select(Cohort.name, Cohort.deadline, ProgramCompletion.id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .outerjoin(
            ProgramCompletion,
            (ProgramCompletion.user_id == CohortMember.user_id)
            & (ProgramCompletion.program_id == Cohort.program_id),
        )
        .where(CohortMember.user_id == user.id)
        .order_by(Cohort.deadline)
    ).all()
    return [Deadline(name, deadline, completion is not None) for name, deadline, completion in rows]
