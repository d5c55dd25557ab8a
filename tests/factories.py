"""Test data builders. Users and cohorts go through the real services, so they obey the
real rules; rows no service writes directly (a newer version, an attempt with a given
score) are built here once."""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from training.accounts import users
from training.accounts.models import User
from training.catalog.models import Module, ModuleVersion
from training.certificates.models import Certificate
from training.cohorts import services as cohorts
from training.cohorts.models import Cohort
from training.database import utcnow
from training.extensions import db
from training.ministries.models import Ministry, Post
from training.ministries.services import create_post, get_ministry
from training.progress.models import ModuleProgress, ProgramCompletion
from training.quizzes.models import Attempt

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def create_post_for(ministry: str = "GT", name: str | None = None, **fields: Any) -> Post:
    n = next(_counter)
    post = create_post(
        get_ministry(ministry),
        kind=fields.get("kind", "consulate"),
        name=name or f"Consulado número {n}",
        city=fields.get("city", "Tapachula"),
        country=fields.get("country", "MX"),
    )
    db.session.commit()
    return post


def create_user(
    *,
    roles: list[str] | None = None,
    ministry: str = "GT",
    email: str | None = None,
    full_name: str | None = None,
    password: str | None = PASSWORD,
    language: str = "es",
    post: Post | None = None,
    active: bool = True,
) -> User:
    n = next(_counter)
    user = users.create_user(
        email=email or f"persona{n}@{ministry.lower()}.example.org",
        full_name=full_name or f"Persona Número {n}",
        ministry=get_ministry(ministry),
        roles=roles or ["learner"],
        password=password,
        language=language,
        post=post,
    )
    if not active:
        user.active = False
    db.session.commit()
    return user


def set_ministry(code: str = "GT", **fields: Any) -> Ministry:
    """A seeded ministry with some settings changed (``certificate_approval="manual"``)."""
    ministry = get_ministry(code)
    for name, value in fields.items():
        setattr(ministry, name, value)
    db.session.commit()
    return ministry


def create_cohort(
    coordinator: User,
    members: Iterable[User] = (),
    *,
    name: str = "Taller",
    program_slug: str = "programa-prueba",
    starts_on: Any = date(2026, 1, 1),
    deadline: Any = date(2026, 12, 31),
) -> Cohort:
    """A cohort of the coordinator's ministry, through the real service, with members."""
    cohort = cohorts.create(
        coordinator, name=name, program_slug=program_slug, starts_on=starts_on, deadline=deadline
    )
    cohorts.add_members(coordinator, cohort, user_ids=[member.id for member in members])
    db.session.commit()
    return cohort


def create_module_version(module_id: int) -> ModuleVersion:
    """Another version of the module (a copy of its first, numbered after it), so that a
    learner can have two progress rows for it."""
    version = db.session.scalars(
        db.select(ModuleVersion).where(ModuleVersion.module_id == module_id)
    ).first()
    assert version is not None
    copy = ModuleVersion(
        **{
            column.key: getattr(version, column.key)
            for column in ModuleVersion.__table__.columns
            if column.key not in {"id", "number", "content_hash"}
        },
        number=version.number + 1,
        content_hash="b" * 64,
    )
    db.session.add(copy)
    db.session.flush()
    return copy


def start_newer_version(user: User, module_id: int, **fields: Any) -> ModuleProgress:
    """The learner starts a newer version of a module they have a progress row for: a
    second row, one day after the newest, which is the one the reports go by."""
    newest = db.session.scalars(
        db.select(ModuleProgress)
        .where(ModuleProgress.user_id == user.id, ModuleProgress.module_id == module_id)
        .order_by(ModuleProgress.started_at.desc())
    ).first()
    assert newest is not None
    row = ModuleProgress(
        user_id=user.id,
        ministry_id=user.ministry_id,
        module_id=module_id,
        module_version_id=create_module_version(module_id).id,
        started_at=newest.started_at + timedelta(days=1),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def create_attempt(
    user: User, version: ModuleVersion, *, score: int | None, number: int = 1
) -> Attempt:
    """An attempt at the version's quiz, added to the session without answers: submitted
    five minutes after it started with ``score`` (passed from 80), or still in progress
    when ``score`` is None. The caller adds the answers and commits."""
    now = utcnow()
    graded = score is not None
    attempt = Attempt(
        user_id=user.id,
        ministry_id=user.ministry_id,
        module_id=version.module_id,
        module_version_id=version.id,
        number=number,
        status="submitted" if graded else "in_progress",
        started_at=now - timedelta(minutes=5),
        submitted_at=now if graded else None,
        score=score,
        passed=(score >= 80) if score is not None else None,
    )
    db.session.add(attempt)
    return attempt


# --- Learning records at a given time (for the indicators, which count per period) ------


def complete_module_at(
    user: User, module_id: int, when: datetime, *, version: ModuleVersion | None = None
) -> ModuleProgress:
    """A progress row of ``version`` (the module's current one by default), started and
    completed at ``when``; no service writes a completion in the past."""
    version_id = (
        version.id
        if version is not None
        else db.session.scalar(db.select(Module.current_version_id).where(Module.id == module_id))
    )
    row = ModuleProgress(
        user_id=user.id,
        ministry_id=user.ministry_id,
        module_id=module_id,
        module_version_id=version_id,
        lessons_read=1,
        best_score=90,
        started_at=when,
        passed_at=when,
        completed_at=when,
    )
    db.session.add(row)
    db.session.commit()
    return row


def complete_program_at(user: User, program_id: int, when: datetime) -> ProgramCompletion:
    row = ProgramCompletion(
        user_id=user.id, ministry_id=user.ministry_id, program_id=program_id, completed_at=when
    )
    db.session.add(row)
    db.session.commit()
    return row


def issue_certificate_at(
    user: User,
    program_id: int,
    when: datetime,
    *,
    revoked_at: datetime | None = None,
) -> Certificate:
    """A certificate issued at ``when`` (revoked at ``revoked_at`` when given), as the
    issuing services leave it, without its signature (nothing here verifies one)."""
    n = next(_counter)
    certificate = Certificate(
        serial=f"{user.ministry.code}-{when.year}-{n:06d}",
        code=secrets.token_hex(16),
        user_id=user.id,
        ministry_id=user.ministry_id,
        program_id=program_id,
        status="revoked" if revoked_at else "valid",
        holder_name=user.full_name,
        language=user.language,
        hours=10,
        modules=[],
        subject_id=f"urn:uuid:{uuid.uuid4()}",
        requested_at=when,
        issued_at=when,
        revoked_at=revoked_at,
        revocation_category="other" if revoked_at else None,
    )
    db.session.add(certificate)
    db.session.commit()
    return certificate
