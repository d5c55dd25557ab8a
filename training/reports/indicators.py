"""Reports: the CRM indicators, per ministry or for the whole region, per quarter or per
year, by post country and by sex. Counts only: no person is ever named, and a count
that rests on fewer than :data:`THRESHOLD` people is suppressed.

Definitions (the page, the API description and the README say the same):

* **People trained**: distinct people who completed at least one module in the period.
* **Modules completed**: distinct (person, module) pairs completed in the period; a
  person who completes two versions of one module in the period counts once.
* **Programs completed**: distinct (person, program version) completions in the period.
* **Certificates issued**: certificates signed in the period, whether or not revoked
  since.
* **Certificates valid**: certificates signed before the end of the period and not
  revoked at its end (revoked later still counts).

Everybody is counted with their ministry, post country and sex *as they are when the
report is read* (a person who moved post counts in the new post's country); people
without a post count under "no post", people who did not answer under "not stated".
Deactivated accounts count: their training happened. Periods are UTC calendar quarters
and years.

**Suppression.** Every cell carries the number of distinct people behind it. A cell
with 1 to 4 people is *suppressed* (primary); zero is shown. The rows of a breakdown
(ministries, countries, sexes) partition the people of the total row, so in each
indicator's column the total minus the shown rows would give a lone suppressed cell
back: when exactly one row of a column is suppressed, the next smallest non-zero row
of that column is suppressed too (secondary). The indicators (columns) are not summed,
so only columns need this. The total row is one figure shared by every breakdown,
suppressed everywhere when it is suppressed anywhere.

Two SQL queries whatever the number of people: the ministries, and one ``UNION ALL``
of the four counts grouped by (ministry, post country, sex), from which every table is
summed in Python (the finest groups partition the people, so distinct people add up).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from babel import Locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, distinct, func, literal_column, or_, select, union_all

from training import authz
from training.accounts.models import SEX_VALUES, User
from training.certificates.models import PENDING, Certificate
from training.errors import ValidationFailed
from training.extensions import db
from training.ministries import services as ministries
from training.ministries.models import Ministry, Post
from training.progress.models import ModuleProgress, ProgramCompletion
from training.reports.scope import all_ministries, report_ministry

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]

THRESHOLD = 5

INDICATORS = (
    "people_trained",
    "modules_completed",
    "programs_completed",
    "certificates_issued",
    "certificates_valid",
)
INDICATOR_LABELS = {
    "people_trained": _l("Personas formadas"),
    "modules_completed": _l("Módulos completados"),
    "programs_completed": _l("Programas completados"),
    "certificates_issued": _l("Certificados emitidos"),
    "certificates_valid": _l("Certificados válidos"),
}
INDICATOR_DEFINITIONS = {
    "people_trained": _l("Personas distintas que completaron al menos un módulo en el periodo."),
    "modules_completed": _l(
        "Módulos completados en el periodo, una vez por persona y módulo (aunque completara "
        "dos versiones)."
    ),
    "programs_completed": _l("Programas completados en el periodo, una vez por persona y versión."),
    "certificates_issued": _l(
        "Certificados firmados en el periodo, aunque se hayan revocado después."
    ),
    "certificates_valid": _l(
        "Certificados firmados antes del final del periodo y no revocados al final del periodo."
    ),
}

# Row keys of the breakdowns.
NO_POST = "none"
NOT_STATED = "not_stated"
SEX_KEYS = (*SEX_VALUES, NOT_STATED)
SEX_LABELS = {
    "female": _l("Mujer"),
    "male": _l("Hombre"),
    "another": _l("Otro"),
    "prefer_not_to_say": _l("Prefiere no decirlo"),
    NOT_STATED: _l("Sin indicar"),
}

BREAKDOWNS = ("ministry", "country", "sex")
BREAKDOWN_LABELS = {
    "ministry": _l("Por ministerio"),
    "country": _l("Por país del puesto"),
    "sex": _l("Por sexo"),
}

# --- Periods ----------------------------------------------------------------------------

_PERIOD = re.compile(r"(\d{4})(?:-Q([1-4]))?")
FIRST_YEAR = 2000
LAST_YEAR = 2999


@dataclass(frozen=True)
class Period:
    """A UTC calendar year (``2026``) or quarter (``2026-Q4``): [start, end)."""

    year: int
    quarter: int | None

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * (self.quarter - 1) + 1 if self.quarter else 1, 1)

    @property
    def last_day(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def start(self) -> datetime:
        return datetime(self.first_day.year, self.first_day.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        following = self.last_day + timedelta(days=1)
        return datetime(following.year, following.month, following.day, tzinfo=UTC)

    def name(self) -> str:
        if self.quarter is None:
            return _("Año %(year)s", year=self.year)
        return _("%(quarter)s.º trimestre de %(year)s", quarter=self.quarter, year=self.year)


def current_quarter(today: date | None = None) -> Period:
    today = today or datetime.now(UTC).date()
    return Period(today.year, (today.month - 1) // 3 + 1)


def parse_period(value: Any) -> Period:
    """``YYYY`` or ``YYYY-Qn`` (any case); nothing means the current quarter. Anything
    else is a 422 that says what to write."""
    if value is None or str(value).strip() == "":
        return current_quarter()
    match = _PERIOD.fullmatch(str(value).strip().upper())
    if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        message = _(
            "Periodo no válido: indique un año (2026) o un trimestre (2026-Q4), "
            "entre %(first)s y %(last)s.",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
        raise ValidationFailed(message, details={"fields": {"period": [message]}})
    quarter = match.group(2)
    return Period(int(match.group(1)), int(quarter) if quarter else None)


def period_choices(today: date | None = None, years: int = 4) -> list[Period]:
    """The periods the page offers: this year and the three before, each year followed
    by its quarters that have begun, newest first."""
    now = current_quarter(today)
    choices = []
    for year in range(now.year, now.year - years, -1):
        choices.append(Period(year, None))
        last = now.quarter if year == now.year and now.quarter else 4
        choices.extend(Period(year, quarter) for quarter in range(last, 0, -1))
    return choices


# --- Scope ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorScope:
    """Whose figures: one ministry, or the region (``ministry`` None)."""

    actor: User
    ministry: Ministry | None

    @property
    def is_region(self) -> bool:
        return self.ministry is None


def indicator_scope(actor: Any, ministry_code: Any = None) -> IndicatorScope:
    """The region or one ministry for regional users and administrators; a
    coordinator's own ministry (another ministry's code is a 404, as in every ministry
    report). 401/403 for anybody else."""
    user = authz.require(actor, authz.Permission.view_indicators)
    if authz.sees_every_ministry_figures(user):
        if ministry_code in (None, ""):
            return IndicatorScope(user, None)
        return IndicatorScope(user, ministries.get_ministry(str(ministry_code)))
    return IndicatorScope(user, report_ministry(user, ministry_code))


# --- Figures ----------------------------------------------------------------------------


@dataclass
class Cell:
    value: int = 0
    people: int = 0
    suppressed: bool = False
    # Suppressed only so that another suppressed cell cannot be worked out.
    secondary: bool = False

    @property
    def shown(self) -> int | None:
        return None if self.suppressed else self.value

    def add(self, value: int, people: int) -> None:
        self.value += value
        self.people += people


@dataclass
class Row:
    key: str
    label: str
    cells: dict[str, Cell] = field(default_factory=lambda: {name: Cell() for name in INDICATORS})

    @property
    def suppressed(self) -> list[str]:
        return [name for name in INDICATORS if self.cells[name].suppressed]

    def add(self, other: dict[str, Cell]) -> None:
        for name, cell in other.items():
            self.cells[name].add(cell.value, cell.people)


@dataclass
class Breakdown:
    name: str
    rows: list[Row]
    total: Row

    @property
    def label(self) -> str:
        return str(BREAKDOWN_LABELS[self.name])


@dataclass
class Indicators:
    period: Period
    scope: IndicatorScope
    scope_name: str
    total: Row
    breakdowns: list[Breakdown]

    def breakdown(self, name: str) -> Breakdown | None:
        return next((item for item in self.breakdowns if item.name == name), None)


def _grouped(kind: int, source: Any, ministry_id: int | None) -> Query:
    """Per (ministry, post country, sex) of the people behind ``source`` (a subquery
    with a ``user_id`` column, one row per thing counted): the rows and the people."""
    statement: Query = (
        select(
            literal_column(str(kind)).label("kind"),
            User.ministry_id,
            Post.country,
            User.sex,
            func.count().label("value"),
            func.count(distinct(source.c.user_id)).label("people"),
        )
        .select_from(source)
        .join(User, User.id == source.c.user_id)
        .outerjoin(Post, Post.id == User.post_id)
        .group_by(User.ministry_id, Post.country, User.sex)
    )
    if ministry_id is not None:
        statement = statement.where(User.ministry_id == ministry_id)
    return statement


# The counted things of the union, in order; people trained are the people behind the
# modules completed.
_KINDS = ("modules_completed", "programs_completed", "certificates_issued", "certificates_valid")


def _counts(period: Period, ministry_id: int | None) -> list[Any]:
    start, end = period.start, period.end
    modules = (
        select(ModuleProgress.user_id, ModuleProgress.module_id)
        .where(ModuleProgress.completed_at >= start, ModuleProgress.completed_at < end)
        .distinct()
        .subquery()
    )
    programs = (
        select(ProgramCompletion.user_id, ProgramCompletion.program_id)
        .where(ProgramCompletion.completed_at >= start, ProgramCompletion.completed_at < end)
        .distinct()
        .subquery()
    )
    issued = (
        select(Certificate.user_id, Certificate.id)
        .where(
            Certificate.status != PENDING,
            Certificate.issued_at >= start,
            Certificate.issued_at < end,
        )
        .subquery()
    )
    valid = (
        select(Certificate.user_id, Certificate.id)
        .where(
            Certificate.status != PENDING,
            Certificate.issued_at < end,
            or_(Certificate.revoked_at.is_(None), Certificate.revoked_at >= end),
        )
        .subquery()
    )
    sources = (modules, programs, issued, valid)
    statement = union_all(
        *(_grouped(kind, source, ministry_id) for kind, source in enumerate(sources))
    )
    return list(db.session.execute(statement).all())


def country_name(code: str, language: str) -> str:
    if code == NO_POST:
        return _("Sin puesto")
    return str(Locale.parse(language).territories.get(code, code))


def indicators(scope: IndicatorScope, period: Period, language: str) -> Indicators:
    """The figures of ``scope`` in ``period``, by ministry (the region only), by post
    country and by sex, suppressed; two queries."""
    ministry_id = scope.ministry.id if scope.ministry is not None else None
    every_ministry = all_ministries()
    # (ministry id, country, sex) -> indicator -> cell.
    finest: dict[tuple[int, str, str], dict[str, Cell]] = {}
    for kind, group_ministry, country, sex, value, people in _counts(period, ministry_id):
        key = (group_ministry, country or NO_POST, sex or NOT_STATED)
        cells = finest.setdefault(key, {name: Cell() for name in INDICATORS})
        name = _KINDS[int(kind)]
        cells[name].add(int(value), int(people))
        if name == "modules_completed":
            cells["people_trained"].add(int(people), int(people))

    total = Row("total", _("Total"))
    for cells in finest.values():
        total.add(cells)

    breakdowns = []
    if scope.is_region:
        by_ministry = {m.id: Row(m.code, m.name(language)) for m in every_ministry}
        for (group_ministry, _country, _sex), cells in finest.items():
            if group_ministry in by_ministry:
                by_ministry[group_ministry].add(cells)
        breakdowns.append(Breakdown("ministry", list(by_ministry.values()), total))

    by_country: dict[str, Row] = {}
    by_sex = {key: Row(key, str(SEX_LABELS[key])) for key in SEX_KEYS}
    for (_ministry, country, sex), cells in finest.items():
        if country not in by_country:
            by_country[country] = Row(country, country_name(country, language))
        by_country[country].add(cells)
        by_sex[sex].add(cells)
    countries = sorted(by_country.values(), key=lambda row: (row.key == NO_POST, row.label))
    breakdowns.append(Breakdown("country", countries, total))
    breakdowns.append(Breakdown("sex", list(by_sex.values()), total))

    suppress(total, breakdowns)
    if scope.ministry is not None:
        scope_name = scope.ministry.name(language)
    else:
        scope_name = _("Región (todos los ministerios de la CRM)")
    return Indicators(period, scope, scope_name, total, breakdowns)


# --- Suppression ------------------------------------------------------------------------


def _primary(cell: Cell) -> bool:
    return 0 < cell.people < THRESHOLD


def suppress(total: Row, breakdowns: Iterable[Breakdown]) -> None:
    """Suppress the cells with 1 to 4 people, then, per breakdown and indicator, a
    second cell wherever a column would hold exactly one (see the module's docstring)."""
    breakdowns = list(breakdowns)
    for row in [total, *(row for item in breakdowns for row in item.rows)]:
        for cell in row.cells.values():
            cell.suppressed = _primary(cell)
    for item in breakdowns:
        for name in INDICATORS:
            column = [row.cells[name] for row in item.rows]
            hidden = [cell for cell in column if cell.suppressed]
            if len(hidden) != 1:
                continue
            candidates = [cell for cell in column if not cell.suppressed and cell.people > 0]
            if candidates:
                chosen = min(candidates, key=lambda cell: (cell.people, cell.value))
            else:
                # Every other row is zero: the total is the suppressed cell itself.
                chosen = total.cells[name]
            if not chosen.suppressed:
                chosen.suppressed = chosen.secondary = True


# --- Export -----------------------------------------------------------------------------

SUPPRESSED_MARK = "x"


def title() -> str:
    return _("Indicadores CRM")


def export_headers() -> list[str]:
    return [
        _("Periodo"),
        _("Ámbito"),
        _("Desglose"),
        _("Código"),
        _("Grupo"),
        *(str(INDICATOR_LABELS[name]) for name in INDICATORS),
    ]


def export_rows(report: Indicators) -> Iterator[list[Any]]:
    """One row for the total and one per row of each breakdown; a suppressed cell is
    :data:`SUPPRESSED_MARK`."""
    scope = report.scope.ministry.code if report.scope.ministry is not None else "CRM"

    def line(breakdown: str, row: Row) -> list[Any]:
        values = [
            SUPPRESSED_MARK if row.cells[name].suppressed else row.cells[name].value
            for name in INDICATORS
        ]
        return [report.period.label, scope, breakdown, row.key, row.label, *values]

    yield line(_("Total"), report.total)
    for item in report.breakdowns:
        for row in item.rows:
            yield line(item.label, row)
