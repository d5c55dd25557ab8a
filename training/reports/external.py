"""Reports: the external courses beside the modules, per learner (the coordinators'
"completion report" page and its JSON twin).

A learner's status on a module follows the reports' one definition (see
:mod:`training.reports.services`): their newest progress row for it
(:func:`training.reports.queries.newest_progress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from training import authz
from training.accounts.models import Role, User, UserRole
from training.catalog.models import Module, ModuleVersion, Program, current_programs
from training.extensions import db
from training.links.models import ExternalCompletion, ExternalCourse, ExternalCourseCredit
from training.reports import queries
from training.reports.scope import COMPLETED, IN_PROGRESS_STATUS


@dataclass
class ReportCourse:
    """A course the ministry sees, and whether the ministry counts it."""

    course: ExternalCourse
    counts_toward_program: bool

    @property
    def id(self) -> int:
        return self.course.id


@dataclass
class ReportRow:
    learner: User
    modules: dict[int, str]  # module id -> "completed" / "in_progress"
    external: dict[int, ExternalCompletion]  # course id -> completion


@dataclass
class Report:
    modules: list[Module]
    courses: list[ReportCourse]
    rows: list[ReportRow]
    total: int


def external_report(
    actor: Any, *, ministry_id: int | None = None, limit: int = 100, offset: int = 0
) -> Report:
    """One row per learner of the coordinator's ministry: each program module's status
    beside each external course's completion; a fixed number of queries."""
    user = authz.require(actor, authz.Permission.view_ministry_reports)
    ministry = user.ministry_id
    if authz.sees_all_ministries(user) and ministry_id is not None:
        ministry = ministry_id
    program = db.session.scalars(
        current_programs().options(selectinload(Program.program_modules))
    ).first()
    module_ids = [row.module_id for row in program.program_modules] if program else []
    modules_by_id = {
        module.id: module
        for module in db.session.scalars(
            select(Module)
            .where(Module.id.in_(module_ids))
            .options(joinedload(Module.current_version).load_only(ModuleVersion.title))
        )
    }
    modules = [modules_by_id[module_id] for module_id in module_ids if module_id in modules_by_id]
    learners_statement = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.ministry_id == ministry, UserRole.role == Role.learner.value)
    )
    total = db.session.scalar(select(func.count()).select_from(learners_statement.subquery())) or 0
    learners = list(
        db.session.scalars(
            learners_statement.options(joinedload(User.post))
            .order_by(User.full_name, User.id)
            .limit(limit)
            .offset(offset)
        )
    )
    ids = [learner.id for learner in learners]
    statuses: dict[int, dict[int, str]] = {}
    if ids and module_ids:
        latest, is_newest = queries.newest_progress()
        for user_id, module_id, completed_at in db.session.execute(
            select(latest.user_id, latest.module_id, latest.completed_at).where(
                latest.user_id.in_(ids), latest.module_id.in_(module_ids), is_newest
            )
        ):
            statuses.setdefault(user_id, {})[module_id] = (
                COMPLETED if completed_at is not None else IN_PROGRESS_STATUS
            )
    courses = _report_courses(ministry)
    external: dict[int, dict[int, ExternalCompletion]] = {}
    if ids:
        for completion in db.session.scalars(
            select(ExternalCompletion).where(ExternalCompletion.user_id.in_(ids))
        ):
            external.setdefault(completion.user_id, {})[completion.course_id] = completion
    rows = [
        ReportRow(learner, statuses.get(learner.id, {}), external.get(learner.id, {}))
        for learner in learners
    ]
    return Report(modules, courses, rows, total)


def _report_courses(ministry_id: int) -> list[ReportCourse]:
    """The courses the ministry sees, with its credit."""
    statement = (
        select(ExternalCourse, ExternalCourseCredit.course_id)
        .outerjoin(
            ExternalCourseCredit,
            and_(
                ExternalCourseCredit.course_id == ExternalCourse.id,
                ExternalCourseCredit.ministry_id == ministry_id,
            ),
        )
        .where(or_(ExternalCourse.ministry_id.is_(None), ExternalCourse.ministry_id == ministry_id))
        .order_by(ExternalCourse.provider, ExternalCourse.id)
    )
    return [
        ReportCourse(course, credit is not None) for course, credit in db.session.execute(statement)
    ]
