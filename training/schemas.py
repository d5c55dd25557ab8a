"""Schema pieces shared by every domain's API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from training.database import isoformat_z


class DateTimeZ(fields.DateTime):
    """ISO 8601 in UTC with a ``Z`` (API.md)."""

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return isoformat_z(value)


class PageSchema(Schema):
    """API.md's list envelope: a domain's list schema subclasses it and adds ``items``."""

    total = fields.Integer(metadata={"description": "Items in all pages."})
    page = fields.Integer()
    per_page = fields.Integer()


def envelope(
    items: list[Any], total: int | None = None, number: int = 1, per_page: int | None = None
) -> dict[str, Any]:
    """The envelope of one page of ``items``; by default all of them, in one page."""
    return {
        "items": items,
        "total": len(items) if total is None else total,
        "page": number,
        "per_page": len(items) if per_page is None else per_page,
    }


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)
    details = fields.Dict()
