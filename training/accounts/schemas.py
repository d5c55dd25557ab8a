"""Marshmallow schemas of the accounts API. Fields are explicit; nothing here queries."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from training.schemas import DateTimeZ, PageSchema


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


class ProfileUpdateSchema(Schema):
    class Meta:
        unknown = RAISE

    sex = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "female, male, another or prefer_not_to_say; null clears it. "
            "Optional; only aggregate reports of five people or more use it, and no "
            "answer about a person shows it (this one included)."
        },
    )


class StaffQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=100))
    post = fields.Integer()
    role = fields.String(
        validate=validate.OneOf(["learner", "coordinator", "issuer", "regional", "admin"])
    )
    active = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class StaffSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    language = fields.String()
    post = fields.Nested(PostSchema, allow_none=True)
    roles = fields.List(fields.String())
    active = fields.Boolean()
    last_login_at = DateTimeZ(allow_none=True)


class StaffListSchema(PageSchema):
    items = fields.List(fields.Nested(StaffSchema))


class InvitationSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(
        fields.String(validate=validate.OneOf(["learner", "coordinator", "issuer"])),
        load_default=lambda: ["learner"],
        validate=validate.Length(min=1),
    )
    post = fields.Integer(allow_none=True)
    language = fields.String(load_default="es", validate=validate.OneOf(["es", "en", "fr"]))


class ImportQuerySchema(Schema):
    mode = fields.String(
        load_default="preview", validate=validate.OneOf(["preview", "all", "valid"])
    )


class ImportRowSchema(Schema):
    line = fields.Integer()
    email = fields.String()
    action = fields.String()
    problems = fields.List(fields.String())


class ImportResultSchema(Schema):
    mode = fields.String()
    written = fields.Boolean()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    errors = fields.Integer()
    rows = fields.List(fields.Nested(ImportRowSchema))


class PostInSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(
        required=True, validate=validate.OneOf(["consulate", "embassy", "headquarters"])
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    city = fields.String(required=True, validate=validate.Length(min=1, max=120))
    country = fields.String(required=True, validate=validate.Length(equal=2))


class PostListSchema(PageSchema):
    items = fields.List(fields.Nested(PostSchema))
