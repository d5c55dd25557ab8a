"""Report query parameters (loaded) and report rows (dumped). Each report accepts exactly
the filters it honours; an unknown or malformed parameter is a 422."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, pre_load, validate

from training.links.schemas import STATUSES as EXTERNAL_STATUSES
from training.links.schemas import ExternalLearnerSchema
from training.reports import formats, services
from training.schemas import DateTimeZ, PageSchema

FORMAT_HELP = "csv or xlsx: the whole report as a streamed download instead of JSON."


class _Query(Schema):
    class Meta:
        unknown = RAISE

    lang = fields.String(validate=validate.OneOf(["es", "en", "fr"]))
    format = fields.String(
        validate=validate.OneOf(formats.names()), metadata={"description": FORMAT_HELP}
    )

    @pre_load
    def drop_empty(self, data: Any, **kwargs: Any) -> Any:
        """An empty parameter (a form's "all" choice) is no filter."""
        return {key: value for key, value in dict(data).items() if value not in ("", None)}


class _Period(Schema):
    date_from = fields.Date(data_key="from", metadata={"description": "First day (UTC)."})
    date_to = fields.Date(data_key="to", metadata={"description": "Last day (UTC)."})


class _Ministry(_Query):
    ministry = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$"),
        metadata={"description": "Administrators: the ministry's code (default: their own)."},
    )
    cohort = fields.Integer(metadata={"description": "Only the members of this cohort."})
    post = fields.Integer(metadata={"description": "Only the staff of this post."})


class _Paged(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ReportCompletionQuerySchema(_Ministry, _Period, _Paged):
    status = fields.String(validate=validate.OneOf(services.STATUSES))


class ReportOverdueQuerySchema(_Ministry, _Paged):
    pass


class ReportSummaryQuerySchema(_Ministry):
    pass


class ReportExternalQuerySchema(_Ministry, _Period):
    pass


class ReportItemQuerySchema(_Ministry, _Period):
    module = fields.String(
        validate=validate.Length(min=1, max=60), metadata={"description": "Module slug."}
    )


class RegionalQuerySchema(_Query, _Period):
    pass


# --- Rows -------------------------------------------------------------------------------


class ReportCompletionItemSchema(Schema):
    learner_id = fields.Integer()
    full_name = fields.String()
    email = fields.String()
    post = fields.String(allow_none=True)
    inactive = fields.Boolean()
    module = fields.String()
    module_title = fields.String()
    status = fields.String(metadata={"enum": list(services.STATUSES)})
    best_score = fields.Integer(allow_none=True)
    completed_at = DateTimeZ(allow_none=True)
    certificate_serial = fields.String(allow_none=True)
    certificate_status = fields.String(allow_none=True)


class ReportCompletionListSchema(PageSchema):
    items = fields.List(fields.Nested(ReportCompletionItemSchema))


class ReportOverdueItemSchema(Schema):
    learner_id = fields.Integer()
    full_name = fields.String()
    email = fields.String()
    post = fields.String(allow_none=True)
    inactive = fields.Boolean()
    cohort_id = fields.Integer()
    cohort = fields.String()
    deadline = fields.Date()
    days_overdue = fields.Integer()
    modules_completed = fields.Integer()
    modules_total = fields.Integer()


class ReportOverdueListSchema(PageSchema):
    items = fields.List(fields.Nested(ReportOverdueItemSchema))


class ReportModuleItemSchema(Schema):
    module = fields.String()
    title = fields.String()
    learners = fields.Integer()
    not_started = fields.Integer()
    in_progress = fields.Integer()
    completed = fields.Integer()
    completion_rate = fields.Float(allow_none=True)
    average_best_score = fields.Float(allow_none=True)


class ReportModuleListSchema(PageSchema):
    items = fields.List(fields.Nested(ReportModuleItemSchema))


class ReportExternalItemSchema(Schema):
    course_id = fields.Integer()
    provider = fields.String()
    title = fields.String()
    counts_toward_program = fields.Boolean()
    active = fields.Boolean()
    learners = fields.Integer()
    verified = fields.Integer()
    reported = fields.Integer()
    rejected = fields.Integer()
    not_reported = fields.Integer()
    verified_rate = fields.Float(allow_none=True)


class ReportExternalListSchema(PageSchema):
    items = fields.List(fields.Nested(ReportExternalItemSchema))


class ReportPostItemSchema(Schema):
    post_id = fields.Integer(allow_none=True)
    post = fields.String(allow_none=True)
    learners = fields.Integer()
    inactive = fields.Integer()
    started = fields.Integer()
    completed = fields.Integer()
    certificates = fields.Integer()
    completion_rate = fields.Float(allow_none=True)


class ReportPostListSchema(PageSchema):
    items = fields.List(fields.Nested(ReportPostItemSchema))


class ReportCohortItemSchema(Schema):
    cohort_id = fields.Integer()
    name = fields.String()
    program = fields.String()
    starts_on = fields.Date()
    deadline = fields.Date()
    members = fields.Integer()
    completed = fields.Integer()
    overdue = fields.Integer()
    completion_rate = fields.Float(allow_none=True)


class ReportCohortListSchema(PageSchema):
    items = fields.List(fields.Nested(ReportCohortItemSchema))


class ReportItemStatisticSchema(Schema):
    question = fields.String(metadata={"description": "The question's content id."})
    module = fields.String()
    version = fields.Integer()
    type = fields.String()
    topic = fields.String()
    text = fields.String()
    answers = fields.Integer(metadata={"description": "Graded answers analysed."})
    facility = fields.Float(
        allow_none=True,
        metadata={"description": "Mean credit, 0–1; null under 5 answers."},
    )
    discrimination = fields.Float(
        allow_none=True,
        metadata={"description": "Upper-27 % minus lower-27 % facility; null under 5 answers."},
    )
    review = fields.Boolean(metadata={"description": "Discrimination < 0.2 or facility < 0.3."})


class ReportItemListSchema(PageSchema):
    items = fields.List(fields.Nested(ReportItemStatisticSchema))


class _RegionalRow(Schema):
    ministry = fields.String(metadata={"description": "The ministry's code."})
    ministry_name = fields.String()


class RegionalMinistrySchema(_RegionalRow):
    staff = fields.Integer()
    started = fields.Integer()
    completed = fields.Integer()
    certificates = fields.Integer()
    average_best_score = fields.Float(allow_none=True)
    start_rate = fields.Float(allow_none=True)
    completion_rate = fields.Float(allow_none=True)


class RegionalListSchema(PageSchema):
    items = fields.List(fields.Nested(RegionalMinistrySchema))


class RegionalModuleSchema(_RegionalRow):
    module = fields.String()
    module_title = fields.String()
    staff = fields.Integer()
    started = fields.Integer()
    completed = fields.Integer()
    completion_rate = fields.Float(allow_none=True)
    average_best_score = fields.Float(allow_none=True)


class RegionalModuleListSchema(PageSchema):
    items = fields.List(fields.Nested(RegionalModuleSchema))


class RegionalPeriodSchema(_RegionalRow):
    period = fields.String(metadata={"description": "YYYY-MM (UTC)."})
    completed = fields.Integer()
    certificates = fields.Integer()


class RegionalPeriodListSchema(PageSchema):
    items = fields.List(fields.Nested(RegionalPeriodSchema))


# --- The external courses beside the modules, per learner (reports.external) ----------


class ExternalReportQuerySchema(Schema):
    ministry = fields.String(
        validate=validate.Length(equal=2),
        metadata={"description": "Administrators: the ministry's code"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ExternalReportModuleSchema(Schema):
    slug = fields.String()
    title = fields.String()


class ExternalReportCourseSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    counts_toward_program = fields.Boolean()


class ExternalReportCellSchema(Schema):
    slug = fields.String()
    status = fields.String(metadata={"enum": ["not_started", "in_progress", "completed"]})


class ExternalReportExternalCellSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": ["none", *EXTERNAL_STATUSES]})
    completed_on = fields.Date(allow_none=True)


class ExternalReportRowSchema(Schema):
    learner = fields.Nested(ExternalLearnerSchema)
    modules = fields.List(fields.Nested(ExternalReportCellSchema))
    external_courses = fields.List(fields.Nested(ExternalReportExternalCellSchema))


class ExternalReportSchema(PageSchema):
    modules = fields.List(fields.Nested(ExternalReportModuleSchema))
    courses = fields.List(fields.Nested(ExternalReportCourseSchema))
    items = fields.List(fields.Nested(ExternalReportRowSchema))


# Each report's query (what it accepts, in the API and the CLI) and, for those answered
# whole, its answer; by the report's name.
QUERY: dict[str, type[Schema]] = {
    "completion": ReportCompletionQuerySchema,
    "overdue": ReportOverdueQuerySchema,
    "posts": ReportSummaryQuerySchema,
    "modules": ReportSummaryQuerySchema,
    "cohorts": ReportSummaryQuerySchema,
    "external-courses": ReportExternalQuerySchema,
    "items": ReportItemQuerySchema,
    "regional": RegionalQuerySchema,
    "regional-modules": RegionalQuerySchema,
    "regional-periods": RegionalQuerySchema,
}
ANSWER: dict[str, type[Schema]] = {
    "posts": ReportPostListSchema,
    "modules": ReportModuleListSchema,
    "cohorts": ReportCohortListSchema,
    "external-courses": ReportExternalListSchema,
    "items": ReportItemListSchema,
    "regional": RegionalListSchema,
    "regional-modules": RegionalModuleListSchema,
    "regional-periods": RegionalPeriodListSchema,
}
