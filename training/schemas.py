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


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)
    details = fields.Dict()
