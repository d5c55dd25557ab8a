"""Marshmallow schemas of the accounts API. Fields are explicit; nothing here queries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from training.schemas import DateTimeZ


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=256), load_only=True
    )


class TokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "Shown once; keep it secret."})
    expires_at = DateTimeZ(required=True)


class MinistrySummarySchema(Schema):
    code = fields.String()
    name = fields.String()


class PostSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    city = fields.String()
    country = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    language = fields.String()
    ministry = fields.Nested(MinistrySummarySchema)
    post = fields.Nested(PostSchema, allow_none=True)
    roles = fields.List(fields.String())
