from __future__ import annotations

from marshmallow import Schema, fields, validate

from training.schemas import DateTimeZ, PageSchema


class ProgramSummarySchema(Schema):
    slug = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    completed = fields.Boolean(required=True)
    completed_at = DateTimeZ(allow_none=True)
    modules_completed = fields.Integer()
    modules_total = fields.Integer()


class ModuleProgressSchema(Schema):
    slug = fields.String(required=True)
    version = fields.Integer()
    status = fields.String(required=True)
    best_score = fields.Integer(allow_none=True)
    lessons_read = fields.Integer()
    lessons_total = fields.Integer()
    completed_at = DateTimeZ(allow_none=True)


class ProgressSchema(Schema):
    program = fields.Nested(ProgramSummarySchema)
    modules = fields.List(fields.Nested(ModuleProgressSchema))


class StatementQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class StatementListSchema(PageSchema):
    items = fields.List(fields.Dict(), metadata={"description": "xAPI 1.0.3 statements"})
