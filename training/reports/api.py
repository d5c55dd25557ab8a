"""Reports as JSON, CSV or XLSX: a ministry's (coordinators) and the regional figures.

Every report answers JSON by default and a streamed download with ``?format=csv`` or
``?format=xlsx``; every answer carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from training import authz
from training.i18n import current_language
from training.reports import formats, presenters, schemas, services

blp = Blueprint(
    "reports_api",
    __name__,
    url_prefix="/api/v1",
    description="Reports: a ministry's completion figures (coordinators) and the regional "
    "aggregates (CRM Technical Secretariat).",
)


def exports_doc(schema: type) -> dict[str, Any]:
    """The 200 answer's media types: JSON, or the export asked for with ``format``."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "responses": {
            "200": {
                "description": "The report: JSON, or a download when ``format`` is given.",
                "content": {
                    "application/json": {"schema": schema},
                    "text/csv": binary,
                    formats.XlsxFormat.mimetype: binary,
                },
            }
        }
    }


MINISTRY = authz.Permission.view_ministry_reports
REGIONAL = authz.Permission.view_regional_reports


def filters(query: dict[str, Any]) -> services.Filters:
    return services.Filters(
        cohort=query.get("cohort"),
        post=query.get("post"),
        status=query.get("status"),
        date_from=query.get("date_from"),
        date_to=query.get("date_to"),
        module=query.get("module"),
    )


def ministry_scope(query: dict[str, Any]) -> services.Scope:
    return services.scope(authz.actor(), filters(query), query.get("ministry"))


def listing(items: list[dict[str, Any]], total: int, page: int, per_page: int) -> dict[str, Any]:
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def whole(items: list[dict[str, Any]]) -> dict[str, Any]:
    return listing(items, len(items), 1, len(items))


def export(
    format_name: str, table: presenters.Table, rows: Iterable[Any], ministry: str | None = None
) -> Response:
    stem = "-".join(part for part in (table.name, ministry, date.today().isoformat()) if part)
    return formats.response(
        format_name, stem, str(table.title), table.headers(), table.export_rows(rows)
    )


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.after_request
def _never_cache(response: Response) -> Response:
    return no_store(response)


@blp.route("/reports/completion")
class Completion(MethodView):
    @blp.arguments(schemas.ReportCompletionQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.ReportCompletionListSchema)
    @blp.doc(**exports_doc(schemas.ReportCompletionListSchema))
    @blp.alt_response(404, description="A cohort, post or ministry not in your reach.")
    @authz.permission_required(MINISTRY)
    def get(self, query: dict[str, Any]) -> Any:
        """One row per learner and module: status, best score, completion date and
        certificate serial. Filters: cohort, post, status, from/to (module completion
        date)."""
        scope = ministry_scope(query)
        table = presenters.completion(current_language())
        if query.get("format"):
            rows = services.completion_stream(scope)
            return export(query["format"], table, rows, scope.ministry.code)
        page, per_page = query["page"], query["per_page"]
        rows_page, total = services.completion_page(scope, page, per_page)
        return listing([table.item(row) for row in rows_page], total, page, per_page)


@blp.route("/reports/overdue")
class Overdue(MethodView):
    @blp.arguments(schemas.ReportOverdueQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.ReportOverdueListSchema)
    @blp.doc(**exports_doc(schemas.ReportOverdueListSchema))
    @blp.alt_response(404, description="A cohort, post or ministry not in your reach.")
    @authz.permission_required(MINISTRY)
    def get(self, query: dict[str, Any]) -> Any:
        """Members of the ministry's cohorts past the deadline without the program."""
        scope = ministry_scope(query)
        table = presenters.overdue(current_language())
        if query.get("format"):
            return export(
                query["format"], table, services.overdue_stream(scope), scope.ministry.code
            )
        page, per_page = query["page"], query["per_page"]
        rows, total = services.overdue_page(scope, page, per_page)
        return listing([table.item(row) for row in rows], total, page, per_page)


@blp.route("/reports/posts")
class Posts(MethodView):
    @blp.arguments(schemas.ReportSummaryQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.ReportPostListSchema)
    @blp.doc(**exports_doc(schemas.ReportPostListSchema))
    @blp.alt_response(404, description="A cohort, post or ministry not in your reach.")
    @authz.permission_required(MINISTRY)
    def get(self, query: dict[str, Any]) -> Any:
        """Per post: learners, started, completed the program, valid certificates."""
        scope = ministry_scope(query)
        table = presenters.posts(current_language())
        rows = services.post_summaries(scope)
        if query.get("format"):
            return export(query["format"], table, rows, scope.ministry.code)
        return whole([table.item(row) for row in rows])


@blp.route("/reports/modules")
class Modules(MethodView):
    @blp.arguments(schemas.ReportSummaryQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.ReportModuleListSchema)
    @blp.doc(**exports_doc(schemas.ReportModuleListSchema))
    @blp.alt_response(404, description="A cohort, post or ministry not in your reach.")
    @authz.permission_required(MINISTRY)
    def get(self, query: dict[str, Any]) -> Any:
        """Per module of the program: not started, in progress, completed, average best
        score."""
        scope = ministry_scope(query)
        table = presenters.modules(current_language())
        rows = services.module_summaries(scope)
        if query.get("format"):
            return export(query["format"], table, rows, scope.ministry.code)
        return whole([table.item(row) for row in rows])


@blp.route("/reports/external-courses")
class ExternalCourses(MethodView):
    @blp.arguments(schemas.ReportExternalQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.ReportExternalListSchema)
    @blp.doc(**exports_doc(schemas.ReportExternalListSchema))
    @blp.alt_response(404, description="A cohort, post or ministry not in your reach.")
    @authz.permission_required(MINISTRY)
    def get(self, query: dict[str, Any]) -> Any:
        """Per external course (IOM's virtual course first), beside the modules:
        completions verified, awaiting review and rejected among the learners, and whether
        the ministry counts the course toward the program. from/to: completion date."""
        scope = ministry_scope(query)
        table = presenters.external(current_language())
        rows = services.external_summaries(scope)
        if query.get("format"):
            return export(query["format"], table, rows, scope.ministry.code)
        return whole([table.item(row) for row in rows])


@blp.route("/reports/cohorts")
class Cohorts(MethodView):
    @blp.arguments(schemas.ReportSummaryQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.ReportCohortListSchema)
    @blp.doc(**exports_doc(schemas.ReportCohortListSchema))
    @blp.alt_response(404, description="A cohort, post or ministry not in your reach.")
    @authz.permission_required(MINISTRY)
    def get(self, query: dict[str, Any]) -> Any:
        """Per cohort: members, completed the program, overdue."""
        scope = ministry_scope(query)
        table = presenters.cohorts(current_language())
        rows = services.cohort_summaries(scope)
        if query.get("format"):
            return export(query["format"], table, rows, scope.ministry.code)
        return whole([table.item(row) for row in rows])


@blp.route("/reports/items")
class Items(MethodView):
    @blp.arguments(schemas.ReportItemQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.ReportItemListSchema)
    @blp.doc(**exports_doc(schemas.ReportItemListSchema))
    @blp.alt_response(404, description="A cohort, post or ministry not in your reach.")
    @authz.permission_required(MINISTRY)
    def get(self, query: dict[str, Any]) -> Any:
        """Quiz item analysis: facility and discrimination index of each question answered
        in the ministry's graded attempts (indices from 5 answers on)."""
        scope = ministry_scope(query)
        table = presenters.items(current_language())
        rows = services.item_analysis(scope)
        if query.get("format"):
            return export(query["format"], table, rows, scope.ministry.code)
        return whole([table.item(row) for row in rows])


def regional_filters(query: dict[str, Any]) -> services.Filters:
    return services.Filters(date_from=query.get("date_from"), date_to=query.get("date_to"))


@blp.route("/reports/regional")
class Regional(MethodView):
    @blp.arguments(schemas.RegionalQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.RegionalListSchema)
    @blp.doc(**exports_doc(schemas.RegionalListSchema))
    @authz.permission_required(REGIONAL)
    def get(self, query: dict[str, Any]) -> Any:
        """Per ministry: staff, started, completed, certificates, average best score and
        rates. Counts only: no person is named."""
        rows = services.regional_ministries(authz.actor(), regional_filters(query))
        table = presenters.regional_ministries(current_language())
        if query.get("format"):
            return export(query["format"], table, rows)
        return whole([table.item(row) for row in rows])


@blp.route("/reports/regional/modules")
class RegionalModules(MethodView):
    @blp.arguments(schemas.RegionalQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.RegionalModuleListSchema)
    @blp.doc(**exports_doc(schemas.RegionalModuleListSchema))
    @authz.permission_required(REGIONAL)
    def get(self, query: dict[str, Any]) -> Any:
        """Per ministry and module: started, completed, average best score."""
        rows = services.regional_modules(authz.actor(), regional_filters(query))
        table = presenters.regional_modules(current_language())
        if query.get("format"):
            return export(query["format"], table, rows)
        return whole([table.item(row) for row in rows])


@blp.route("/reports/regional/periods")
class RegionalPeriods(MethodView):
    @blp.arguments(schemas.RegionalQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.RegionalPeriodListSchema)
    @blp.doc(**exports_doc(schemas.RegionalPeriodListSchema))
    @authz.permission_required(REGIONAL)
    def get(self, query: dict[str, Any]) -> Any:
        """Per ministry and month of completion (UTC): program completions and
        certificates issued."""
        rows = services.regional_periods(authz.actor(), regional_filters(query))
        table = presenters.regional_periods(current_language())
        if query.get("format"):
            return export(query["format"], table, rows)
        return whole([table.item(row) for row in rows])
