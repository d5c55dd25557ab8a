"""Column types and helpers shared by every domain's models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Primary keys are 32-bit integers on every backend; anything larger cannot name a row.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no zone; PostgreSQL's ``timestamptz`` does. Both come back as aware
    UTC datetimes, so comparisons never mix naive and aware values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def isoformat_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, as API.md asks."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_id(value: object) -> int | None:
    """``value`` as a primary key, or None when it cannot name a row (not a positive
    integer, or too large for the database)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        key = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        key = int(value)
    else:
        return None
    return key if 1 <= key <= MAX_ID else None
