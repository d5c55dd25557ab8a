"""Marshmallow schemas: the shape of the content files, and the catalogue API.

The content schemas check types, required fields, languages and allowed values; the
cross-file rules (unique ids, prerequisites, lessons in every language) are checked by
``training.catalog.content``. Nothing here queries the database.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

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
QUESTION_TYPES = ("single", "multiple", "true_false", "scenario")
SLUG = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    error="must be lower-case letters, digits and dashes, like conceptos or marco-juridico",
)
OBJECTIVE_ID = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    error="must be lower-case letters, digits and dashes, like act-means-purpose",
)
MIN_OBJECTIVES, MAX_OBJECTIVES = 3, 6
REVIEW_POLICIES = ("immediate", "after_pass_or_last_attempt")
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


class ObjectiveSchema(StrictSchema):
    id = fields.String(required=True, validate=[OBJECTIVE_ID, validate.Length(max=60)])
    es = fields.String(required=True, validate=validate.Length(min=1, max=500))
    en = fields.String(required=True, validate=validate.Length(min=1, max=500))
    fr = fields.String(validate=validate.Length(min=1, max=500))


class ObjectiveList(fields.List):
    """The list of ``{id, es, en}`` objectives; the old ``{es: [...], en: [...]}`` form is
    refused with a message that shows the new one."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dict):
            raise ValidationError(
                "objectives are now a list with an id per objective, e.g. "
                "'- id: act-means-purpose' followed by 'es: ...' and 'en: ...'; "
                "the old form {es: [...], en: [...]} is no longer accepted"
            )
        return super()._deserialize(value, attr, data, **kwargs)


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
    objectives = ObjectiveList(
        fields.Nested(ObjectiveSchema),
        required=True,
        validate=validate.Length(
            min=MIN_OBJECTIVES,
            max=MAX_OBJECTIVES,
            error=f"a module has {MIN_OBJECTIVES} to {MAX_OBJECTIVES} objectives",
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


class ScenarioChoiceSchema(StrictSchema):
    id = fields.String(required=True, validate=CONTENT_ID)
    text = Translated(required=True)
    feedback = Translated(required=True)
    credit = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    # The next step's id; omitted (or ``end``) where the case ends.
    next = fields.String(load_default=None, allow_none=True, validate=CONTENT_ID)
    unsafe = fields.Boolean(load_default=False, truthy={True}, falsy={False})

    @post_load
    def _end_is_no_next(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data.get("next") == "end":
            data["next"] = None
        return data


class ScenarioStepSchema(StrictSchema):
    id = fields.String(required=True, validate=CONTENT_ID)
    text = Translated(required=True)
    choices = fields.List(
        fields.Nested(ScenarioChoiceSchema), required=True, validate=validate.Length(min=2, max=6)
    )


class QuestionSchema(StrictSchema):
    id = fields.String(required=True, validate=CONTENT_ID)
    type = fields.String(
        required=True,
        validate=validate.OneOf(
            QUESTION_TYPES,
            error="unknown question type {input!r} (use single, multiple, true_false or scenario)",
        ),
    )
    topic = fields.String(
        required=True, validate=validate.OneOf(TOPICS, error="unknown topic {input!r}")
    )
    objective = fields.String(required=True, validate=[OBJECTIVE_ID, validate.Length(max=60)])
    text = Translated(required=True)
    explanation = Translated(required=True)
    choices = fields.List(fields.Nested(ChoiceSchema), validate=validate.Length(min=2, max=8))
    # type scenario only (the graph rules are checked in training.catalog.scenarios):
    start = fields.String(validate=CONTENT_ID)
    steps = fields.List(fields.Nested(ScenarioStepSchema), validate=validate.Length(min=2, max=12))

    @validates_schema
    def _fields_of_the_type(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("type") == "scenario":
            for name in ("start", "steps"):
                if name not in data:
                    raise ValidationError("Missing data for required field.", name)
            if "choices" in data:
                raise ValidationError(
                    "a scenario has steps, not choices: put the choices under each step",
                    "choices",
                )
        elif "type" in data:
            if "choices" not in data:
                raise ValidationError("Missing data for required field.", "choices")
            for name in ("start", "steps"):
                if name in data:
                    raise ValidationError(f"only a scenario has {name}", name)


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
    review = fields.String(
        load_default="after_pass_or_last_attempt",
        validate=validate.OneOf(
            REVIEW_POLICIES,
            error="review must be immediate or after_pass_or_last_attempt",
        ),
    )
    retake_requires_review = fields.Boolean(load_default=True, truthy={True}, falsy={False})
    retake_after_hours = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=24 * 30)
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
    # The ids of the module objectives a lesson teaches (required in the Spanish lesson
    # files, checked by ``training.catalog.validation``; job aids do not list any).
    objectives = fields.List(
        fields.String(validate=[OBJECTIVE_ID, validate.Length(max=60)]), load_default=None
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
    objective_ids = fields.List(
        fields.String(),
        metadata={"description": "Stable ids of the objectives, in the order of objectives"},
    )
    hours = fields.Integer()
    lessons = fields.List(fields.Nested(LessonSummarySchema))
    quiz = fields.Nested(QuizRulesSchema)


class LessonSchema(Schema):
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    html = fields.String(required=True, metadata={"description": "Sanitised HTML"})
    read = fields.Boolean()
