from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from training.schemas import PageSchema


class CohortInSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    program = fields.String(required=True, validate=validate.Length(min=1, max=60))
    starts_on = fields.Date(required=True)
    deadline = fields.Date(required=True)


class CohortSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    program = fields.String()
    starts_on = fields.Date()
    deadline = fields.Date()
    members = fields.Integer()
    completed = fields.Integer()
    overdue = fields.Integer()


class CohortListSchema(PageSchema):
    items = fields.List(fields.Nested(CohortSchema))


class MemberSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()
    email = fields.String()
    post = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()


class CohortDetailSchema(CohortSchema):
    members_list = fields.List(fields.Nested(MemberSchema), data_key="member_list")


class MembersInSchema(Schema):
    class Meta:
        unknown = RAISE

    user_ids = fields.List(fields.Integer(strict=True), validate=validate.Length(max=5000))
    post = fields.Integer(strict=True)
    all_learners = fields.Boolean()
    emails = fields.List(
        fields.String(validate=validate.Length(max=254)), validate=validate.Length(max=5000)
    )


class MembersOutSchema(Schema):
    added = fields.Integer()
    not_found = fields.List(fields.String())
