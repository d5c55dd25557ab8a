"""The external course registry's API shapes. Load schemas check shape only; the rules
(https URLs, languages, known modules, dates, file types) live in the services, which
pages and API share. Nothing here queries the database."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from training.schemas import DateTimeZ, PageSchema

STATUSES = ["reported", "verified", "rejected"]


def texts() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Text per language: {es, en, fr}"},
    )


# --- Load -------------------------------------------------------------------------------


class ExternalCourseCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    provider = fields.String(required=True, validate=validate.Length(max=500))
    title = fields.Dict(
        keys=fields.String(validate=validate.Length(max=5)),
        values=fields.String(validate=validate.Length(max=1000)),
        required=True,
        metadata={"description": "Title per language: {es, en, fr}; es required"},
    )
    description = fields.Dict(
        keys=fields.String(validate=validate.Length(max=5)),
        values=fields.String(validate=validate.Length(max=5000)),
        metadata={"description": "Description per language, optional"},
    )
    url = fields.String(
        required=True,
        validate=validate.Length(max=4000),
        metadata={"description": "Absolute https URL of the course"},
    )
    language = fields.String(
        required=True, metadata={"enum": ["es", "en", "fr"], "description": "Course language"}
    )
    modules = fields.List(
        fields.String(validate=validate.Length(max=60)),
        validate=validate.Length(max=100),
        metadata={"description": "Slugs of the modules the course complements"},
    )
    counts_toward_program = fields.Boolean(
        metadata={"description": "Whether your ministry counts it toward the program"}
    )


class ExternalCourseUpdateSchema(ExternalCourseCreateSchema):
    class Meta:
        unknown = RAISE

    provider = fields.String(validate=validate.Length(max=500))
    title = fields.Dict(
        keys=fields.String(validate=validate.Length(max=5)),
        values=fields.String(validate=validate.Length(max=1000)),
    )
    url = fields.String(validate=validate.Length(max=4000))
    language = fields.String(metadata={"enum": ["es", "en", "fr"]})
    active = fields.Boolean(metadata={"description": "False withdraws the course"})


class ExternalCreditSchema(Schema):
    class Meta:
        unknown = RAISE

    counts_toward_program = fields.Boolean(required=True)


class ExternalCompletionReportSchema(Schema):
    """multipart/form-data: the text fields and the optional evidence file."""

    class Meta:
        unknown = EXCLUDE

    completed_on = fields.String(
        validate=validate.Length(max=20), metadata={"description": "YYYY-MM-DD"}
    )
    note = fields.String(validate=validate.Length(max=5000))
    evidence = Upload(
        metadata={"description": "PDF, PNG or JPEG, at most EVIDENCE_MAX_BYTES (5 MB)"}
    )


class ExternalCompletionImportSchema(Schema):
    """multipart/form-data: the provider's completion list as CSV."""

    class Meta:
        unknown = EXCLUDE

    file = Upload(
        required=True,
        metadata={
            "description": "UTF-8 CSV (BOM optional; comma, semicolon or tab separated) "
            "with a header row: an email column and optionally a completion date"
        },
    )


class ExternalReviewSchema(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(["verified", "rejected"]))
    note = fields.String(
        validate=validate.Length(max=500), metadata={"description": "Required to reject"}
    )


class ExternalCompletionQuerySchema(Schema):
    status = fields.String(load_default="reported", validate=validate.OneOf([*STATUSES, "all"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


# --- Dump -------------------------------------------------------------------------------


class ExternalCompletionSummarySchema(Schema):
    id = fields.Integer(required=True)
    course_id = fields.Integer(required=True)
    course_title = fields.String()
    status = fields.String(required=True, metadata={"enum": STATUSES})
    source = fields.String(metadata={"enum": ["self_reported", "imported"]})
    completed_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    reported_at = DateTimeZ()
    reviewed_at = DateTimeZ(allow_none=True)
    review_note = fields.String(allow_none=True)
    evidence = fields.Dict(
        allow_none=True, metadata={"description": "{url, media_type, size} when there is one"}
    )


class ExternalCourseSchema(Schema):
    id = fields.Integer(required=True)
    provider = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String()
    url = fields.String(required=True)
    language = fields.String(required=True)
    modules = fields.List(fields.String(), required=True, metadata={"description": "Slugs"})
    counts_toward_program = fields.Boolean(required=True)
    launch_url = fields.String(metadata={"description": "This site's /go link"})
    completion = fields.Nested(ExternalCompletionSummarySchema, allow_none=True)


class ExternalCourseListSchema(PageSchema):
    items = fields.List(fields.Nested(ExternalCourseSchema))


class ExternalLinkCheckSchema(Schema):
    checked_at = DateTimeZ(required=True)
    url = fields.String()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    ok = fields.Boolean(required=True)


class ExternalManagedCourseSchema(Schema):
    id = fields.Integer(required=True)
    provider = fields.String(required=True)
    title = texts()
    description = texts()
    url = fields.String(required=True)
    language = fields.String(required=True)
    modules = fields.List(fields.String())
    counts_toward_program = fields.Boolean(required=True)
    ministry = fields.String(allow_none=True, metadata={"description": "Code; null: global"})
    active = fields.Boolean()
    editable = fields.Boolean()
    broken = fields.Boolean(metadata={"description": "The last link check failed"})
    last_check = fields.Nested(ExternalLinkCheckSchema, allow_none=True)


class ExternalManagedCourseListSchema(PageSchema):
    items = fields.List(fields.Nested(ExternalManagedCourseSchema))


class ExternalLinkCheckListSchema(PageSchema):
    course = fields.Nested(ExternalManagedCourseSchema)
    items = fields.List(fields.Nested(ExternalLinkCheckSchema))


class ExternalLaunchSchema(Schema):
    id = fields.Integer(required=True)
    course_id = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "The registered URL"})
    launched_at = DateTimeZ(required=True)


class ExternalCompletionListSchema(PageSchema):
    items = fields.List(fields.Nested(ExternalCompletionSummarySchema))


class ExternalLearnerSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()
    email = fields.String()
    post = fields.String(allow_none=True)


class ExternalStaffCompletionSchema(ExternalCompletionSummarySchema):
    learner = fields.Nested(ExternalLearnerSchema)


class ExternalStaffCompletionListSchema(PageSchema):
    items = fields.List(fields.Nested(ExternalStaffCompletionSchema))


class ExternalImportRowSchema(Schema):
    line = fields.Integer()
    email = fields.String()
    result = fields.String(
        metadata={
            "enum": [
                "verified",
                "already_verified",
                "own_pending",
                "not_found",
                "invalid",
                "duplicate",
            ]
        }
    )
    completion_id = fields.Integer(allow_none=True)


class ExternalImportReportSchema(Schema):
    course_id = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    rows = fields.List(fields.Nested(ExternalImportRowSchema))
