"""The CRM indicators' query parameters (loaded) and figures (dumped). An unknown or
malformed parameter is a 422, as in every report."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from training.reports.indicators import INDICATORS, THRESHOLD
from training.reports.schemas import _Query

SUPPRESSED_HELP = (
    f"null when suppressed: fewer than {THRESHOLD} people behind the figure, or a second "
    "figure hidden so that a suppressed one cannot be worked out from the total."
)


class IndicatorQuerySchema(_Query):
    period = fields.String(
        validate=validate.Length(max=20),
        metadata={
            "description": "A year (2026) or a quarter (2026-Q4), UTC; default: the "
            "current quarter. Anything else is a 422."
        },
    )
    ministry = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$"),
        metadata={
            "description": "Regional users and administrators: one ministry's code (default: "
            "the whole region). Coordinators: their own ministry (another answers 404)."
        },
    )


class IndicatorRowSchema(Schema):
    key = fields.String(
        metadata={
            "description": "total; a ministry code; an ISO 3166 country code or none (no "
            "post); female, male, another, prefer_not_to_say or not_stated."
        }
    )
    label = fields.String()
    people_trained = fields.Integer(allow_none=True, metadata={"description": SUPPRESSED_HELP})
    modules_completed = fields.Integer(allow_none=True, metadata={"description": SUPPRESSED_HELP})
    programs_completed = fields.Integer(allow_none=True, metadata={"description": SUPPRESSED_HELP})
    certificates_issued = fields.Integer(allow_none=True, metadata={"description": SUPPRESSED_HELP})
    certificates_valid = fields.Integer(allow_none=True, metadata={"description": SUPPRESSED_HELP})
    suppressed = fields.List(
        fields.String(validate=validate.OneOf(INDICATORS)),
        metadata={"description": "The indicators of this row that are suppressed."},
    )


class PeriodSchema(Schema):
    label = fields.String(metadata={"description": "2026 or 2026-Q4."})
    first_day = fields.Date()
    last_day = fields.Date()


class IndicatorScopeSchema(Schema):
    ministry = fields.String(
        allow_none=True, metadata={"description": "The ministry's code; null: the region."}
    )
    name = fields.String()


class IndicatorsSchema(Schema):
    period = fields.Nested(PeriodSchema)
    scope = fields.Nested(IndicatorScopeSchema)
    threshold = fields.Integer(
        metadata={"description": "Figures resting on fewer people than this are suppressed."}
    )
    total = fields.Nested(IndicatorRowSchema)
    by_ministry = fields.List(
        fields.Nested(IndicatorRowSchema),
        metadata={"description": "The region only: one row per ministry (empty otherwise)."},
    )
    by_country = fields.List(
        fields.Nested(IndicatorRowSchema),
        metadata={"description": "One row per country of the people's posts, today."},
    )
    by_sex = fields.List(fields.Nested(IndicatorRowSchema))
