"""Reports: regional figures, per ministry, module and period (counts and rates only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, case, func, select

from training import authz
from training.accounts.models import Role, User, UserRole
from training.catalog.models import ProgramModule, first_program_id, versions_of
from training.certificates.models import VALID, Certificate
from training.extensions import db
from training.ministries.models import Ministry
from training.progress.models import ModuleProgress, ProgramCompletion

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]

from training.reports import queries
from training.reports.scope import Filters, ModuleInfo, load_program

# --- Regional figures (counts and rates only) -------------------------------------------


def _regional(actor: Any, filters: Filters | None) -> Filters:
    authz.require(actor, authz.Permission.view_regional_reports)
    filters = filters or Filters()
    filters.check()
    return filters


def _first_program_modules() -> Any:
    """The modules of the current version of the first program."""
    return select(ProgramModule.module_id).where(ProgramModule.program_id == first_program_id())


def _first_program_versions() -> Any:
    """Completions of any version count: a learner of an older version completed it."""
    return versions_of(first_program_id())


def _staff() -> Any:
    return (
        select(func.count(User.id))
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.learner.value))
        .where(User.ministry_id == Ministry.id)
        .correlate(Ministry)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class MinistryRef:
    code: str
    names: dict[str, str]
    staff: int

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["es"]


def _ministry_refs() -> list[MinistryRef]:
    rows = db.session.execute(
        select(
            Ministry.code, Ministry.name_es, Ministry.name_en, Ministry.name_fr, _staff()
        ).order_by(Ministry.code)
    ).all()
    return [
        MinistryRef(row[0], {"es": row[1], "en": row[2], "fr": row[3]}, int(row[4] or 0))
        for row in rows
    ]


@dataclass(frozen=True)
class RegionalMinistry:
    ministry: MinistryRef
    started: int
    completed: int
    certificates: int
    average_best_score: float | None

    @property
    def staff(self) -> int:
        return self.ministry.staff

    @property
    def start_rate(self) -> float | None:
        return queries.ratio(self.started, self.staff)

    @property
    def completion_rate(self) -> float | None:
        return queries.ratio(self.completed, self.staff)


def regional_ministries(actor: Any, filters: Filters | None = None) -> list[RegionalMinistry]:
    """Per ministry: staff (learners), how many started the program, completed it (in the
    period), certificates valid (issued in the period), average best score; one query."""
    filters = _regional(actor, filters)
    start, end = filters.period()
    modules = _first_program_modules()
    started = (
        select(func.count(func.distinct(ModuleProgress.user_id)))
        .where(ModuleProgress.ministry_id == Ministry.id, ModuleProgress.module_id.in_(modules))
        .correlate(Ministry)
        .scalar_subquery()
    )
    average = (
        select(func.avg(ModuleProgress.best_score))
        .where(ModuleProgress.ministry_id == Ministry.id, ModuleProgress.module_id.in_(modules))
        .correlate(Ministry)
        .scalar_subquery()
    )
    completed = (
        select(func.count(ProgramCompletion.id))
        .where(
            ProgramCompletion.ministry_id == Ministry.id,
            ProgramCompletion.program_id.in_(_first_program_versions()),
            *queries.within(ProgramCompletion.completed_at, start, end),
        )
        .correlate(Ministry)
        .scalar_subquery()
    )
    certificates = (
        select(func.count(Certificate.id))
        .where(
            Certificate.ministry_id == Ministry.id,
            Certificate.program_id.in_(_first_program_versions()),
            Certificate.status == VALID,
            *queries.within(Certificate.issued_at, start, end),
        )
        .correlate(Ministry)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Ministry.code,
            Ministry.name_es,
            Ministry.name_en,
            Ministry.name_fr,
            _staff(),
            started,
            completed,
            certificates,
            average,
        ).order_by(Ministry.code)
    ).all()
    return [
        RegionalMinistry(
            MinistryRef(row[0], {"es": row[1], "en": row[2], "fr": row[3]}, int(row[4] or 0)),
            started=int(row[5] or 0),
            completed=int(row[6] or 0),
            certificates=int(row[7] or 0),
            average_best_score=queries.mean(row[8]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class RegionalModule:
    ministry: MinistryRef
    module: ModuleInfo
    started: int
    completed: int
    average_best_score: float | None

    @property
    def completion_rate(self) -> float | None:
        return queries.ratio(self.completed, self.ministry.staff)


def regional_modules(actor: Any, filters: Filters | None = None) -> list[RegionalModule]:
    """Per ministry and module of the program: learners who started it, completed it (in
    the period) and their average best score; three queries."""
    filters = _regional(actor, filters)
    start, end = filters.period()
    program = load_program()
    refs = _ministry_refs()
    if program is None or not program.modules:
        return []
    in_period = and_(
        ModuleProgress.completed_at.is_not(None),
        *queries.within(ModuleProgress.completed_at, start, end),
    )
    rows = db.session.execute(
        select(
            Ministry.code,
            ModuleProgress.module_id,
            func.count(func.distinct(ModuleProgress.user_id)),
            func.count(func.distinct(case((in_period, ModuleProgress.user_id), else_=None))),
            func.avg(ModuleProgress.best_score),
        )
        .join(Ministry, Ministry.id == ModuleProgress.ministry_id)
        .where(ModuleProgress.module_id.in_(program.module_ids))
        .group_by(Ministry.code, ModuleProgress.module_id)
    ).all()
    found = {(row[0], row[1]): row for row in rows}
    items = []
    for ref in refs:
        for module in program.modules:
            row = found.get((ref.code, module.id))
            items.append(
                RegionalModule(
                    ref,
                    module,
                    started=int(row[2]) if row else 0,
                    completed=int(row[3]) if row else 0,
                    average_best_score=queries.mean(row[4]) if row else None,
                )
            )
    return items


@dataclass(frozen=True)
class RegionalPeriod:
    ministry: MinistryRef
    period: str
    completed: int
    certificates: int


def regional_periods(actor: Any, filters: Filters | None = None) -> list[RegionalPeriod]:
    """Per ministry and month (UTC) of completion: program completions and certificates
    issued (still valid) in that month, within the period; three queries."""
    filters = _regional(actor, filters)
    start, end = filters.period()
    refs = {ref.code: ref for ref in _ministry_refs()}
    completion_month = queries.utc_month(ProgramCompletion.completed_at)
    completions = db.session.execute(
        select(Ministry.code, completion_month, func.count(ProgramCompletion.id))
        .join(Ministry, Ministry.id == ProgramCompletion.ministry_id)
        .where(
            ProgramCompletion.program_id.in_(_first_program_versions()),
            *queries.within(ProgramCompletion.completed_at, start, end),
        )
        .group_by(Ministry.code, completion_month)
    ).all()
    issue_month = queries.utc_month(Certificate.issued_at)
    issued = db.session.execute(
        select(Ministry.code, issue_month, func.count(Certificate.id))
        .join(Ministry, Ministry.id == Certificate.ministry_id)
        .where(
            Certificate.program_id.in_(_first_program_versions()),
            Certificate.status == VALID,
            Certificate.issued_at.is_not(None),
            *queries.within(Certificate.issued_at, start, end),
        )
        .group_by(Ministry.code, issue_month)
    ).all()
    counts: dict[tuple[str, str], list[int]] = {}
    for code, month, count in completions:
        counts.setdefault((code, month), [0, 0])[0] = int(count)
    for code, month, count in issued:
        counts.setdefault((code, month), [0, 0])[1] = int(count)
    return [
        RegionalPeriod(refs[code], month, completed, certificates)
        for (code, month), (completed, certificates) in sorted(
            counts.items(), key=lambda item: (item[0][1], item[0][0])
        )
        if code in refs
    ]
