"""The audit log's query parameters (loaded) and events (dumped). An unknown or
malformed parameter is a 422, as in every report."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from training.reports.schemas import _Paged, _Period, _Query
from training.schemas import DateTimeZ, PageSchema

# Codes as the services record them: ``certificate.revoked``, or a family: ``certificate``.
ACTION = r"^[A-Za-z_]+(\.[A-Za-z_]+)*$"
# A user id, an e-mail or ``anonymous``: no spaces, no control characters.
ACTOR = r"^[^\s\x00-\x1f\x7f]+$"
TARGET_TYPE = r"^[A-Za-z][A-Za-z0-9_]*$"
TARGET_ID = r"^[A-Za-z0-9_.:-]+$"


class AuditEventQuerySchema(_Query, _Period, _Paged):
    ministry = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$"),
        metadata={
            "description": "Administrators: only this ministry's events (default: every "
            "ministry's, and those of none). Coordinators see their own ministry's only."
        },
    )
    action = fields.String(
        validate=[validate.Length(max=64), validate.Regexp(ACTION)],
        metadata={
            "description": "An action (certificate.revoked) or a family of actions (certificate)."
        },
    )
    actor = fields.String(
        validate=[validate.Length(max=254), validate.Regexp(ACTOR)],
        metadata={"description": "Who acted: a user id, an e-mail, or anonymous."},
    )
    target_type = fields.String(
        validate=[validate.Length(max=40), validate.Regexp(TARGET_TYPE)],
        metadata={"description": "The kind of record acted on (User, Certificate, Cohort...)."},
    )
    target_id = fields.String(
        validate=[validate.Length(max=64), validate.Regexp(TARGET_ID)],
        metadata={"description": "The id of the record acted on (with target_type)."},
    )


class AuditEventItemSchema(Schema):
    id = fields.Integer()
    occurred_at = DateTimeZ()
    action = fields.String()
    actor_id = fields.Integer(allow_none=True, metadata={"description": "null: anonymous."})
    actor_name = fields.String(allow_none=True)
    actor_email = fields.String(allow_none=True)
    target_type = fields.String(allow_none=True)
    target_id = fields.String(allow_none=True)
    ministry = fields.String(allow_none=True, metadata={"description": "The ministry's code."})
    address = fields.String(allow_none=True)
    details = fields.Dict()


class AuditEventListSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventItemSchema))
