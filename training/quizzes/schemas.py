"""Quiz API schemas. What goes out before grading never says what is correct."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from training.quizzes.models import Answer
from training.schemas import DateTimeZ

CONTENT_ID = validate.Length(min=1, max=40)


class AnswerSchema(Schema):
    class Meta:
        unknown = RAISE

    question = fields.String(required=True, validate=CONTENT_ID)
    choices = fields.List(
        fields.String(validate=CONTENT_ID), required=True, validate=validate.Length(max=20)
    )
    # Sent by some clients; accepted and ignored: grading happens only on the server.
    correct = fields.Raw(load_only=True, metadata={"description": "Ignored."})


class SubmissionSchema(Schema):
    class Meta:
        unknown = RAISE

    answers = fields.List(
        fields.Nested(AnswerSchema), required=True, validate=validate.Length(max=200)
    )
    # Ignored, like ``correct`` above: the server computes the score.
    score = fields.Raw(load_only=True, metadata={"description": "Ignored."})
    passed = fields.Raw(load_only=True, metadata={"description": "Ignored."})


class ChoiceOutSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    # After grading only:
    correct = fields.Boolean()
    selected = fields.Boolean()
    feedback = fields.String()


class QuestionOutSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True)
    text = fields.String(required=True)
    choices = fields.List(fields.Nested(ChoiceOutSchema))
    selected = fields.List(fields.String(), metadata={"description": "Chosen choice ids"})
    # After grading only:
    correct = fields.Boolean()
    credit = fields.Float()
    feedback = fields.String(metadata={"description": "Feedback on the chosen choices"})
    explanation = fields.String()


class AttemptSchema(Schema):
    id = fields.Integer(required=True)
    module = fields.String(required=True)
    number = fields.Integer()
    status = fields.String(
        required=True, metadata={"enum": ["in_progress", "submitted", "expired"]}
    )
    started_at = DateTimeZ(required=True)
    expires_at = DateTimeZ(allow_none=True)
    submitted_at = DateTimeZ(allow_none=True)
    pass_mark = fields.Integer()
    score = fields.Integer(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    questions = fields.List(fields.Nested(QuestionOutSchema))


def load_answers(data: dict[str, Any]) -> list[Answer]:
    return [Answer(item["question"], tuple(item["choices"])) for item in data["answers"]]


class GrantSchema(Schema):
    class Meta:
        unknown = RAISE

    module = fields.String(required=True, validate=validate.Length(min=1, max=60))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    extra = fields.Integer(load_default=1, validate=validate.Range(min=1, max=5))


class GrantOutSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    module = fields.String()
    extra = fields.Integer()
    reason = fields.String()
    created_at = DateTimeZ()
