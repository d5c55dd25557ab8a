"""Marshmallow schemas: the shape of the content files, and the catalogue API.

The content schemas check types, required fields, languages and allowed values; the
cross-file rules (unique ids, prerequisites, lessons in every language) are checked by
``training.catalog.content``. Nothing here queries the database.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from training.schemas import PageSchema

REQUIRED_LANGUAGES = ("es", "en")
OPTIONAL_LANGUAGES = ("fr",)
LANGUAGES = REQUIRED_LANGUAGES + OPTIONAL_LANGUAGES
LANGUAGE_NAMES = {"es": "Spanish", "en": "English", "fr": "French"}
TOPICS = (
    "definitions",
    "legal_framework",
    "procedures",
    "identification",
    "interviews",
    "forms",
    "risk_assessment",
    "assistance",
    "shelter_refuge",
    "repatriation",
    "coordination",
    "prevention",
    "media",
    "children",
)
QUESTION_TYPES = ("single", "multiple", "true_false")
SLUG = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    error="must be lower-case letters, digits and dashes, like conceptos or marco-juridico",
)
CONTENT_ID = validate.Regexp(
    r"^[A-Za-z0-9_-]{1,40}$", error="must be 1 to 40 letters, digits, dashes or underscores"
)


class Translated(fields.Field):
    """``{es: ..., en: ...}`` (``fr`` optional): every shipped language, no unknown one."""

    def __init__(self, item: fields.Field | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item or fields.String(validate=validate.Length(min=1, max=20000))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError("must give the text per language (es:, en:)")
        problems = []
        for language in value:
            if language not in LANGUAGES:
                problems.append(f"unknown language {language!r} (use es, en or fr)")
        for language in REQUIRED_LANGUAGES:
            if language not in value:
                problems.append(f"missing the {LANGUAGE_NAMES[language]} ({language}) text")
        result = {}
        for language, text in value.items():
            try:
                result[language] = self.item.deserialize(text)
            except ValidationError as error:
                problems.append(f"{language}: {' '.join(_flatten(error.messages))}")
            if isinstance(text, str) and not text.strip():
                problems.append(f"{language}: the text is empty")
        if problems:
            raise ValidationError(problems)
        return result


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]
    if isinstance(messages, list):
        return [str(m) for m in messages]
    return [str(messages)]


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ModuleFileSchema(StrictSchema):
    slug = fields.String(required=True, validate=SLUG)
    order = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=999))
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    estimated_minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=6000)
    )
    hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    title = Translated(required=True, item=fields.String(validate=validate.Length(min=1, max=200)))
    summary = Translated(required=True)
    objectives = Translated(
        required=True,
        item=fields.List(
            fields.String(validate=validate.Length(min=1, max=500)),
            validate=validate.Length(min=1, max=12),
        ),
    )
    prerequisites = fields.List(fields.String(validate=SLUG), load_default=list)
    topics = fields.List(
        fields.String(validate=validate.OneOf(TOPICS, error="unknown topic {input!r}")),
        required=True,
        validate=validate.Length(min=1),
    )


class ChoiceSchema(StrictSchema):
    id = fields.String(required=True, validate=CONTENT_ID)
    correct = fields.Boolean(required=True, truthy={True}, falsy={False})
    text = Translated(required=True)
    feedback = Translated(required=True)


class QuestionSchema(StrictSchema):
    id = fields.String(required=True, validate=CONTENT_ID)
    type = fields.String(
        required=True,
        validate=validate.OneOf(
            QUESTION_TYPES,
            error="unknown question type {input!r} (use single, multiple or true_false)",
        ),
    )
    topic = fields.String(
        required=True, validate=validate.OneOf(TOPICS, error="unknown topic {input!r}")
    )
    text = Translated(required=True)
    explanation = Translated(required=True)
    choices = fields.List(
        fields.Nested(ChoiceSchema), required=True, validate=validate.Length(min=2, max=8)
    )


class QuizFileSchema(StrictSchema):
    pass_mark = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    max_attempts = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=20)
    )
    time_limit_minutes = fields.Integer(
        strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1, max=600)
    )
    questions_per_attempt = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=100)
    )
    questions = fields.List(
        fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=500)
    )


class ProgramFileSchema(StrictSchema):
    slug = fields.String(required=True, validate=SLUG)
    title = Translated(required=True, item=fields.String(validate=validate.Length(min=1, max=200)))
    description = Translated(required=True)
    modules = fields.List(
        fields.String(validate=SLUG), required=True, validate=validate.Length(min=1)
    )
    min_score = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))
    hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))


class FrontMatterSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        load_default="lesson",
        validate=validate.OneOf(
            ("lesson", "case_study"), error="kind must be lesson or case_study"
        ),
    )

    @validates_schema
    def _title_not_blank(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("title", "").strip():
            raise ValidationError("the title is empty", "title")


# --- API --------------------------------------------------------------------------------


class ModuleSummarySchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Version number"})
    status = fields.String(
        required=True, metadata={"enum": ["not_started", "in_progress", "completed"]}
    )
    best_score = fields.Integer(allow_none=True)
    locked = fields.Boolean(required=True)
    lock_reason = fields.String(allow_none=True)


class ModuleListSchema(PageSchema):
    items = fields.List(fields.Nested(ModuleSummarySchema))


class LessonSummarySchema(Schema):
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    read = fields.Boolean(required=True)


class QuizRulesSchema(Schema):
    pass_mark = fields.Integer(required=True)
    max_attempts = fields.Integer(required=True)
    attempts_left = fields.Integer(required=True)
    time_limit_s = fields.Integer(allow_none=True)
    questions_per_attempt = fields.Integer(required=True)


class ModuleDetailSchema(ModuleSummarySchema):
    summary = fields.String()
    objectives = fields.List(fields.String())
    hours = fields.Integer()
    lessons = fields.List(fields.Nested(LessonSummarySchema))
    quiz = fields.Nested(QuizRulesSchema)


class LessonSchema(Schema):
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    html = fields.String(required=True, metadata={"description": "Sanitised HTML"})
    read = fields.Boolean()
