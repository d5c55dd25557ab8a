from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from training.certificates.models import REVOCATION_CATEGORIES
from training.schemas import DateTimeZ, PageSchema


class CertificateSummarySchema(Schema):
    serial = fields.String(allow_none=True)
    code = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["pending", "valid", "revoked"]})
    issued_at = DateTimeZ(allow_none=True)
    program = fields.String(required=True)
    program_version = fields.Integer(
        required=True, metadata={"description": "The version of the program certified."}
    )
    holder_name = fields.String()
    revoked_at = DateTimeZ(allow_none=True)
    revocation_reason = fields.String(
        allow_none=True, metadata={"description": "Internal; only for the ministry's staff."}
    )
    revocation_category = fields.String(allow_none=True)
    revocation_label = fields.String(allow_none=True)


class CertificateListSchema(PageSchema):
    items = fields.List(fields.Nested(CertificateSummarySchema))


class CertificateQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "valid", "revoked"]))
    q = fields.String(validate=validate.Length(max=100))
    cohort = fields.Integer()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class RevocationSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    category = fields.String(
        load_default=None,
        validate=validate.OneOf(REVOCATION_CATEGORIES),
        metadata={"description": "Shown on public verification; `other` when omitted."},
    )


class ReissueSchema(Schema):
    class Meta:
        unknown = RAISE

    holder_name = fields.String(validate=validate.Length(min=1, max=200))
    reason = fields.String(validate=validate.Length(max=500))


class VerificationSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["valid", "revoked", "invalid"]})
    serial = fields.String()
    holder_name = fields.String()
    program = fields.String()
    program_version = fields.Integer(
        metadata={"description": "The version of the program certified."}
    )
    ministry = fields.String()
    ministry_code = fields.String()
    issued_at = DateTimeZ()
    hours = fields.Integer()
    revoked_at = DateTimeZ(allow_none=True)
    revocation_reason = fields.String(
        allow_none=True,
        metadata={"enum": list(REVOCATION_CATEGORIES), "description": "A category."},
    )
    revocation_label = fields.String(allow_none=True)


class JwksSchema(Schema):
    keys = fields.List(fields.Dict())


class IssueQueuedSchema(Schema):
    queued = fields.Integer(
        metadata={"description": "Certificates asked for, issued in the background."}
    )
