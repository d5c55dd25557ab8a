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


class LessonLinkSchema(Schema):
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "The lesson's page"})


class ObjectiveResultSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    correct = fields.Integer(required=True, metadata={"description": "Questions right"})
    total = fields.Integer(required=True, metadata={"description": "Questions asked"})


class ScenarioOptionOutSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)


class ScenarioStepOutSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    choices = fields.List(fields.Nested(ScenarioOptionOutSchema))


class ScenarioDecisionOutSchema(Schema):
    step = fields.String(required=True, metadata={"description": "Step id"})
    text = fields.String(required=True, metadata={"description": "What the step asked"})
    choice = fields.String(required=True, metadata={"description": "Chosen option id"})
    choice_text = fields.String(required=True)
    # Under the full review only:
    feedback = fields.String()
    credit = fields.Float()
    unsafe = fields.Boolean()


class ScenarioOutSchema(Schema):
    finished = fields.Boolean(required=True, metadata={"description": "The case has ended"})
    step = fields.Nested(
        ScenarioStepOutSchema,
        allow_none=True,
        metadata={"description": "The step to decide now (in progress, case not ended)"},
    )
    path = fields.List(
        fields.Nested(ScenarioDecisionOutSchema),
        metadata={"description": "The decisions taken, in order; they cannot be changed"},
    )


class DecisionSchema(Schema):
    class Meta:
        unknown = RAISE

    choice = fields.String(required=True, validate=CONTENT_ID)
    step = fields.String(
        validate=CONTENT_ID,
        metadata={
            "description": "The step this decision answers; when given and the case has "
            "moved on (a repeated request), the decision is refused with 409."
        },
    )


class QuestionOutSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True)
    text = fields.String(required=True)
    choices = fields.List(fields.Nested(ChoiceOutSchema))
    selected = fields.List(fields.String(), metadata={"description": "Chosen choice ids"})
    # After grading only (``selected``, ``credit`` and choice-level data: full review only):
    correct = fields.Boolean()
    credit = fields.Float()
    feedback = fields.String(
        metadata={"description": "Feedback on the chosen choices (empty in a restricted review)"}
    )
    explanation = fields.String(
        metadata={"description": "Empty in a restricted review for a question answered right"}
    )
    lesson = fields.Nested(
        LessonLinkSchema,
        allow_none=True,
        metadata={"description": "Questions answered wrongly: the lesson teaching their objective"},
    )
    scenario = fields.Nested(
        ScenarioOutSchema, metadata={"description": "type scenario only: the case so far"}
    )


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
    # After grading only:
    review = fields.String(
        metadata={
            "enum": ["restricted", "full"],
            "description": "restricted: which questions were missed and what to study, never "
            "the key; full: every choice with its correctness and feedback",
        }
    )
    objectives = fields.List(
        fields.Nested(ObjectiveResultSchema),
        metadata={"description": "Questions right of those asked, per objective"},
    )


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
