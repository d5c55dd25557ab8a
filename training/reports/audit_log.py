"""Reading the audit log: who did what to which record, when, from where.

The log itself is written by :mod:`training.audit.services`, below the accounts; reading
it names the actors, so it lives here, above them (``reports`` only reads).

Who sees what (:data:`training.authz.Permission.read_audit_log`): administrators see
every ministry's events, and the events that belong to no ministry (a failed sign-in
with an unknown e-mail); a coordinator sees the events of their own ministry only. A
filter naming another ministry answers 404; an actor or a target of another ministry
simply matches nothing.

Filters: ``action`` (a code such as ``certificate.revoked``, or a family such as
``certificate`` for all of its actions), ``actor`` (a user id, an e-mail, or
``anonymous`` for the actions nobody signed in did), ``target_type`` and ``target_id``,
and the period ``date_from``/``date_to`` (inclusive days, UTC). Newest first.

A page is two queries (its rows, with the actor and the ministry joined, and the count);
an export reads its rows in chunks of :data:`CHUNK_ROWS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, select

from training import authz
from training.accounts.models import User
from training.audit.models import AuditEvent
from training.database import parse_id
from training.errors import NotFound, ValidationFailed
from training.extensions import db
from training.ministries.models import Ministry
from training.reports.presenters import Column, Table
from training.reports.scope import QueryFilters

if TYPE_CHECKING:
    # A SELECT of any columns.
    Query = Select[*tuple[Any, ...]]

# Rows fetched from the database at a time when streaming an export.
CHUNK_ROWS = 1000
ANONYMOUS = "anonymous"
# Whatever a caller once put in an event's details, no key that names a secret is shown.
SECRET_WORDS = ("password", "secret", "token", "private")


@dataclass(frozen=True)
class AuditFilters(QueryFilters):
    """What the reader asked for, as loaded by the query schema."""

    ministry: str | None = None
    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditScope:
    """The events one reader may see under their filters. ``ministry`` is None when an
    administrator reads every ministry's events."""

    user: User
    ministry: Ministry | None
    filters: AuditFilters
    conditions: tuple[ColumnElement[bool], ...]

    @property
    def ministry_code(self) -> str | None:
        return self.ministry.code if self.ministry is not None else None


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: datetime
    action: str
    actor_id: int | None
    actor_name: str | None
    actor_email: str | None
    target_type: str | None
    target_id: str | None
    ministry: str | None
    address: str | None
    details: dict[str, Any]


def scope(actor: Any, filters: AuditFilters | None = None) -> AuditScope:
    """Check the actor may read the audit log and turn the filters into conditions (404
    for another ministry's code, 422 for values that cannot name anything)."""
    user = authz.require(actor, authz.Permission.read_audit_log)
    filters = filters or AuditFilters()
    problems: dict[str, list[str]] = {}
    conditions: list[ColumnElement[bool]] = []

    ministry: Ministry | None = None
    if filters.ministry:
        ministry = _ministry(filters.ministry)
        authz.check_ministry(user, ministry.id)
    elif not authz.sees_all_ministries(user):
        ministry = user.ministry
    if ministry is not None:
        conditions.append(AuditEvent.ministry_id == ministry.id)

    if filters.action:
        action = filters.action.strip().lower()
        if "." in action:
            conditions.append(AuditEvent.action == action)
        else:
            conditions.append(AuditEvent.action.startswith(action + ".", autoescape=True))

    if filters.actor:
        condition = _actor_condition(filters.actor.strip())
        if condition is None:
            problems["actor"] = [_("Indique el id o el correo de una persona, o «anonymous».")]
        else:
            conditions.append(condition)

    if filters.target_id and not filters.target_type:
        problems["target_type"] = [_("Indique también el tipo del registro.")]
    if filters.target_type:
        conditions.append(func.lower(AuditEvent.target_type) == filters.target_type.lower())
    if filters.target_id:
        conditions.append(AuditEvent.target_id == filters.target_id.strip())

    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        problems["to"] = [_("La fecha final no puede ser anterior a la inicial.")]
    if filters.date_from:
        conditions.append(
            AuditEvent.occurred_at >= datetime.combine(filters.date_from, time(), UTC)
        )
    if filters.date_to and filters.date_to < date.max:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        conditions.append(AuditEvent.occurred_at < end)

    if problems:
        raise ValidationFailed(details={"fields": problems})
    return AuditScope(user, ministry, filters, tuple(conditions))


def _ministry(code: str) -> Ministry:
    ministry = db.session.scalar(select(Ministry).where(Ministry.code == code.strip().upper()))
    if ministry is None:
        raise NotFound()
    return ministry


def _actor_condition(value: str) -> ColumnElement[bool] | None:
    if value.lower() == ANONYMOUS:
        return AuditEvent.actor_id.is_(None)
    if "@" in value:
        by_email = select(User.id).where(User.email == value.lower()).scalar_subquery()
        return AuditEvent.actor_id == by_email
    key = parse_id(value)
    if key is None:
        return None
    return AuditEvent.actor_id == key


def _statement(scope: AuditScope) -> Query:
    return (
        select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            AuditEvent.action,
            AuditEvent.actor_id,
            User.full_name,
            User.email,
            AuditEvent.target_type,
            AuditEvent.target_id,
            Ministry.code,
            AuditEvent.address,
            AuditEvent.details,
        )
        .select_from(AuditEvent)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Ministry, Ministry.id == AuditEvent.ministry_id)
        .where(*scope.conditions)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def _row(row: Any) -> AuditRow:
    return AuditRow(
        id=row[0],
        occurred_at=row[1],
        action=row[2],
        actor_id=row[3],
        actor_name=row[4],
        actor_email=row[5],
        target_type=row[6],
        target_id=row[7],
        ministry=row[8],
        address=row[9],
        details=without_secrets(row[10] or {}),
    )


def without_secrets(value: Any) -> Any:
    """``value`` with every key that names a secret removed, at any depth."""
    if isinstance(value, dict):
        return {
            key: without_secrets(item)
            for key, item in value.items()
            if not any(word in str(key).lower() for word in SECRET_WORDS)
        }
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


def details_text(details: dict[str, Any]) -> str:
    """An event's details as one line of JSON, for the page and the exports."""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


def page(scope: AuditScope, number: int, per_page: int) -> tuple[list[AuditRow], int]:
    """One page of events, newest first, and the number of events in all pages: two
    queries, whatever the number of events, actors and ministries."""
    statement = _statement(scope).limit(per_page).offset((number - 1) * per_page)
    rows = [_row(row) for row in db.session.execute(statement)]
    total = db.session.scalar(
        select(func.count(AuditEvent.id)).select_from(AuditEvent).where(*scope.conditions)
    )
    return rows, int(total or 0)


def stream(scope: AuditScope) -> Iterator[AuditRow]:
    """Every event of the scope, newest first, fetched :data:`CHUNK_ROWS` at a time. The
    query is built now, from plain values, so that the rows can be read while the
    response streams, after the request's objects have expired."""
    statement = _statement(scope).execution_options(yield_per=CHUNK_ROWS)

    def rows() -> Iterator[AuditRow]:
        result = db.session.execute(statement)
        try:
            for row in result:
                yield _row(row)
        finally:
            result.close()

    return rows()


def actions(scope: AuditScope) -> list[str]:
    """The actions recorded in the reader's ministry (every action for administrators),
    for the filter form's suggestions: one query."""
    statement = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    if scope.ministry is not None:
        statement = statement.where(AuditEvent.ministry_id == scope.ministry.id)
    return list(db.session.scalars(statement))


# --- Columns of the API items and the exports -------------------------------------------


@dataclass(frozen=True)
class _ActorColumn(Column):
    """Exports name nobody as "anonymous", in the reader's language; JSON keeps null."""

    def exporter(self) -> Callable[[Any], Any]:
        value = self.value
        anonymous = str(_l("anónimo"))
        return lambda row: value(row) if row.actor_id is not None else anonymous


@dataclass(frozen=True)
class _JsonColumn(Column):
    """Exports write the details as JSON text; the API gives the object itself."""

    def exporter(self) -> Callable[[Any], Any]:
        value = self.value
        return lambda row: details_text(value(row))


def table() -> Table:
    """The audit log's columns, shared by the API, the page and the exports."""
    return Table(
        "audit-events",
        _l("Registro de auditoría"),
        (
            Column("id", _l("Id"), lambda row: row.id),
            Column("occurred_at", _l("Fecha y hora (UTC)"), lambda row: row.occurred_at),
            Column("action", _l("Acción"), lambda row: row.action),
            Column("actor_id", _l("Id de quien actuó"), lambda row: row.actor_id),
            _ActorColumn("actor_name", _l("Quién actuó"), lambda row: row.actor_name),
            Column("actor_email", _l("Correo de quien actuó"), lambda row: row.actor_email),
            Column("target_type", _l("Tipo de registro"), lambda row: row.target_type),
            Column("target_id", _l("Id del registro"), lambda row: row.target_id),
            Column("ministry", _l("Ministerio"), lambda row: row.ministry),
            Column("address", _l("Dirección IP"), lambda row: row.address),
            _JsonColumn("details", _l("Detalles"), lambda row: row.details),
        ),
    )
