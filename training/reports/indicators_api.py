"""The CRM indicators as JSON, CSV or XLSX: coordinators (their own ministry), regional
users and administrators (the region or any ministry). Counts only, suppressed under
five people (:mod:`training.reports.indicators`); never cached."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from training import authz
from training.i18n import current_language
from training.reports import api, formats, indicators
from training.reports.indicator_schemas import IndicatorQuerySchema, IndicatorsSchema

blp = Blueprint(
    "indicators_api",
    __name__,
    url_prefix="/api/v1",
    description="CRM indicators: people trained, modules and programs completed, "
    "certificates issued and valid, per ministry and for the region, by post country and "
    "by sex; figures under five people suppressed.",
)


@blp.after_request
def _never_cache(response: Response) -> Response:
    return api.no_store(response)


def row_data(row: indicators.Row) -> dict[str, Any]:
    data: dict[str, Any] = {"key": row.key, "label": row.label}
    data.update({name: row.cells[name].shown for name in indicators.INDICATORS})
    data["suppressed"] = row.suppressed
    return data


def report_data(report: indicators.Indicators) -> dict[str, Any]:
    def rows(name: str) -> list[dict[str, Any]]:
        breakdown = report.breakdown(name)
        return [row_data(row) for row in breakdown.rows] if breakdown else []

    ministry = report.scope.ministry
    return {
        "period": {
            "label": report.period.label,
            "first_day": report.period.first_day,
            "last_day": report.period.last_day,
        },
        "scope": {"ministry": ministry.code if ministry else None, "name": report.scope_name},
        "threshold": indicators.THRESHOLD,
        "total": row_data(report.total),
        "by_ministry": rows("ministry"),
        "by_country": rows("country"),
        "by_sex": rows("sex"),
    }


def load(query: dict[str, Any]) -> indicators.Indicators:
    """The report the query asks for (scope first: a 403/404 before a 422 on the period)."""
    scope = indicators.indicator_scope(authz.actor(), query.get("ministry"))
    period = indicators.parse_period(query.get("period"))
    return indicators.indicators(scope, period, current_language())


def export(format_name: str, report: indicators.Indicators) -> Response:
    """The report as one flat table (shared with the page's download links)."""
    ministry = report.scope.ministry
    stem = "-".join(["indicators", ministry.code if ministry else "CRM", report.period.label])
    title = f"{indicators.title()} {report.period.label}"
    return formats.response(
        format_name,
        stem,
        title,
        indicators.export_headers(),
        indicators.export_rows(report),
    )


@blp.route("/reports/indicators")
class Indicators(MethodView):
    @blp.arguments(IndicatorQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, IndicatorsSchema)
    @blp.doc(**api.exports_doc(IndicatorsSchema))
    @blp.alt_response(404, description="A ministry not in your reach.")
    @blp.alt_response(422, description="A malformed period (write 2026 or 2026-Q4).")
    @authz.permission_required(authz.Permission.view_indicators)
    def get(self, query: dict[str, Any]) -> Any:
        """CRM indicators for a year (``period=2026``) or a quarter (``period=2026-Q4``).

        People trained (distinct people who completed a module in the period), modules
        completed (person and module pairs), programs completed, certificates issued in
        the period and certificates valid at its end; in total, per ministry (the region),
        per country of the people's posts today and per sex. A figure resting on fewer
        than five people is null and named in ``suppressed``, and so is a second figure
        of the same column where one alone would be worked out from the total. With
        ``format=csv`` or ``xlsx``, one flat table where suppressed figures read ``x``.
        """
        report = load(query)
        if query.get("format"):
            return export(query["format"], report)
        return report_data(report)
