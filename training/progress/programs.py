"""Which version of a program each learner follows (see ``catalog.models.Program``).

A learner is pinned to the program's current version when they first start one of its
modules, and moved to a cohort's version when a coordinator adds them to that cohort
(``enrol``). Until then they follow the current version. So a new version (a module
added, say) applies to new learners and to cohorts created after it, while a learner on
their way keeps the requirements they started with and their certificate names the
version it certifies.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import BindParameter

from training.accounts.models import User
from training.catalog.models import Module, Program, ProgramModule
from training.extensions import db
from training.progress.models import ProgramCompletion, ProgramEnrolment


def followed_programs(user: User) -> list[Program]:
    """One version per program: the one the learner is pinned to, else the current one;
    the oldest program first. One query, the versions' modules included."""
    return [program for program, _completion in followed_with_completion(user)]


@functools.cache
def _followed_statement() -> Any:
    """:func:`followed_with_completion`'s query, built once."""
    user_id: BindParameter[int] = bindparam("user_id")
    return (
        select(Program, ProgramEnrolment.user_id, ProgramCompletion)
        .outerjoin(
            ProgramEnrolment,
            and_(ProgramEnrolment.program_id == Program.id, ProgramEnrolment.user_id == user_id),
        )
        .outerjoin(
            ProgramCompletion,
            and_(ProgramCompletion.program_id == Program.id, ProgramCompletion.user_id == user_id),
        )
        .where(or_(ProgramEnrolment.user_id.is_not(None), Program.superseded_at.is_(None)))
        .options(joinedload(Program.program_modules))
        .order_by(Program.id)
    )


def followed_with_completion(user: User) -> list[tuple[Program, ProgramCompletion | None]]:
    """:func:`followed_programs`, each with the learner's completion of that version (or
    None), in the same single query."""
    rows = db.session.execute(_followed_statement(), {"user_id": user.id}).unique()
    chosen: dict[str, tuple[Program, ProgramCompletion | None]] = {}
    first_seen: dict[str, int] = {}
    for program, pinned, completion in rows:
        first_seen.setdefault(program.slug, program.id)
        if pinned is not None or program.slug not in chosen:
            chosen[program.slug] = (program, completion)
    return sorted(chosen.values(), key=lambda pair: first_seen[pair[0].slug])


def pin_on_start(user: User, module: Module) -> None:
    """Pin the learner to the current version of each program ``module`` belongs to,
    unless they already follow one of its versions (idempotent, safe under races)."""
    current = db.session.execute(
        select(Program.id, Program.slug)
        .join(ProgramModule, ProgramModule.program_id == Program.id)
        .where(ProgramModule.module_id == module.id, Program.superseded_at.is_(None))
        .where(
            ~select(ProgramEnrolment.user_id)
            .where(
                ProgramEnrolment.user_id == user.id,
                ProgramEnrolment.program_slug == Program.slug,
            )
            .exists()
        )
    ).all()
    for program_id, slug in current:
        try:
            with db.session.begin_nested():
                db.session.add(
                    ProgramEnrolment(user_id=user.id, program_slug=slug, program_id=program_id)
                )
        except IntegrityError:
            continue  # pinned by a concurrent request: that pin stands


def enrol(user_ids: Iterable[int], program: Program) -> None:
    """Make the learners follow ``program`` (a cohort's version), whatever they followed
    before: the modules they completed still count wherever the new version has them."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return
    db.session.execute(
        update(ProgramEnrolment)
        .where(
            ProgramEnrolment.user_id.in_(wanted),
            ProgramEnrolment.program_slug == program.slug,
        )
        .values(program_id=program.id)
    )
    pinned = set(
        db.session.scalars(
            select(ProgramEnrolment.user_id).where(
                ProgramEnrolment.user_id.in_(wanted),
                ProgramEnrolment.program_slug == program.slug,
            )
        )
    )
    missing = [user_id for user_id in wanted if user_id not in pinned]
    if not missing:
        return
    try:
        with db.session.begin_nested():
            db.session.add_all(
                ProgramEnrolment(user_id=user_id, program_slug=program.slug, program_id=program.id)
                for user_id in missing
            )
    except IntegrityError:
        # A learner's first step pinned them meanwhile: the cohort's version still wins.
        _repin(missing, program)


def _repin(user_ids: list[int], program: Program) -> None:
    for user_id in user_ids:
        try:
            with db.session.begin_nested():
                db.session.add(
                    ProgramEnrolment(
                        user_id=user_id, program_slug=program.slug, program_id=program.id
                    )
                )
        except IntegrityError:
            db.session.execute(
                update(ProgramEnrolment)
                .where(
                    ProgramEnrolment.user_id == user_id,
                    ProgramEnrolment.program_slug == program.slug,
                )
                .values(program_id=program.id)
            )
