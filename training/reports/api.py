"""Reports as JSON, CSV or XLSX: a ministry's (coordinators) and the regional figures.

Every report answers JSON by default and a streamed download with ``?format=csv`` or
``?format=xlsx``; every answer carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Response, current_app, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from training import authz
from training.catalog.models import Module, in_language
from training.exports import services as exports
from training.exports.presenters import export_data
from training.exports.schemas import ExportSchema
from training.i18n import current_language
from training.links.presenters import learner_data
from training.ministries import services as ministries
from training.reports import exports as exports_kinds
from training.reports import external, formats, presenters, schemas, services
from training.schemas import envelope

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


def ministry_scope(query: dict[str, Any]) -> services.Scope:
    return services.scope(authz.actor(), services.Filters.from_query(query), query.get("ministry"))


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


# Which report each endpoint answers (what query it accepts: schemas.QUERY).
REPORT_OF_ENDPOINT: dict[str, str] = {
    "reports_api.Completion": "completion",
    "reports_api.Overdue": "overdue",
}


def _large(scope: services.Scope) -> bool:
    _rows, total = services.completion_page(scope, 1, 1)
    return total > int(current_app.config["REPORT_INLINE_MAX_ROWS"])


def _export_later(scope: services.Scope) -> ResponseReturnValue:
    """A large XLSX is prepared in the background: 202 with the export's status and its
    Location; a browser (asking for HTML) is sent to the page that offers it when ready."""
    params = {
        key: request.args[key] for key in exports_kinds.COMPLETION_FILTERS if request.args.get(key)
    }
    stem = "-".join(("completion", scope.ministry.code, date.today().isoformat()))
    export = exports.request_export(
        authz.actor(), exports_kinds.COMPLETION_XLSX, params, stem, current_language()
    )
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return redirect(url_for("exports.show", export_id=export.id), 303)
    response = jsonify(export_data(export))
    response.status_code = 202
    response.headers["Location"] = url_for("exports_api.ExportStatus", export_id=export.id)
    return response


@blp.route("/reports/completion")
class Completion(MethodView):
    @blp.arguments(schemas.ReportCompletionQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.ReportCompletionListSchema)
    @blp.doc(**exports_doc(schemas.ReportCompletionListSchema))
    @blp.alt_response(
        202,
        schema=ExportSchema,
        description="``format=xlsx`` above REPORT_INLINE_MAX_ROWS rows: the export is "
        "prepared in the background; ``Location`` is its status.",
    )
    @blp.alt_response(404, description="A cohort, post or ministry not in your reach.")
    @authz.permission_required(MINISTRY)
    def get(self, query: dict[str, Any]) -> Any:
        """One row per learner and module: status, best score, completion date and
        certificate serial. Filters: cohort, post, status, from/to (module completion
        date). A large XLSX is prepared in the background (202)."""
        scope = ministry_scope(query)
        table = presenters.completion(current_language())
        if query.get("format") == "xlsx" and _large(scope):
            return _export_later(scope)
        if query.get("format"):
            rows = services.completion_stream(scope)
            return export(query["format"], table, rows, scope.ministry.code)
        page, per_page = query["page"], query["per_page"]
        rows_page, total = services.completion_page(scope, page, per_page)
        return envelope([table.item(row) for row in rows_page], total, page, per_page)


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
        return envelope([table.item(row) for row in rows], total, page, per_page)


def _whole_report(path: str, endpoint: str, name: str, summary: str) -> None:
    """Register the endpoint of report ``name``, answered whole (a summary: one row per
    post, module, cohort, course, question or ministry, never per person in pages)."""
    report = presenters.REPORTS[name]
    query_schema = schemas.QUERY[name]
    REPORT_OF_ENDPOINT[f"{blp.name}.{endpoint}"] = name
    answer_schema = schemas.ANSWER[name]

    def get(self: MethodView, query: dict[str, Any]) -> Any:
        rows, ministry = report.rows_for(
            authz.actor(), services.Filters.from_query(query), query.get("ministry")
        )
        table = report.table(current_language())
        if query.get("format"):
            return export(query["format"], table, rows, ministry)
        return envelope([table.item(row) for row in rows])

    get.__doc__ = summary
    view = authz.permission_required(REGIONAL if report.regional else MINISTRY)(get)
    if not report.regional:
        view = blp.alt_response(404, description="A cohort, post or ministry not in your reach.")(
            view
        )
    view = blp.doc(**exports_doc(answer_schema))(view)
    view = blp.response(200, answer_schema)(view)
    view = blp.arguments(query_schema, location="query", unknown=RAISE)(view)
    blp.route(path)(type(endpoint, (MethodView,), {"get": view}))


_whole_report(
    "/reports/posts",
    "Posts",
    "posts",
    "Per post: learners, started, completed the program, valid certificates.",
)
_whole_report(
    "/reports/modules",
    "Modules",
    "modules",
    "Per module of the program: not started, in progress, completed, average best score.",
)
_whole_report(
    "/reports/cohorts", "Cohorts", "cohorts", "Per cohort: members, completed the program, overdue."
)
_whole_report(
    "/reports/external-courses",
    "ExternalCourses",
    "external-courses",
    """External courses beside the modules (IOM's virtual course first).

    Per course: completions verified, awaiting review and rejected among the learners,
    and whether the ministry counts the course toward the program. from/to: the date of
    completion.""",
)
_whole_report(
    "/reports/items",
    "Items",
    "items",
    """Quiz item analysis: facility and discrimination per question.

    Every question answered in the ministry's graded attempts; the indices from 5
    answers on.""",
)
_whole_report(
    "/reports/regional",
    "Regional",
    "regional",
    """Per ministry: staff, started, completed, certificates, scores and rates.

    Counts only: no person is named.""",
)
_whole_report(
    "/reports/regional/modules",
    "RegionalModules",
    "regional-modules",
    "Per ministry and module: started, completed, average best score.",
)
_whole_report(
    "/reports/regional/periods",
    "RegionalPeriods",
    "regional-periods",
    "Per ministry and month of completion (UTC): program completions and certificates.",
)


# --- The external courses beside the modules, per learner ----------------------------


def module_title(module: Module, language: str) -> str:
    version = module.current_version
    return in_language(version.title, language) if version else module.slug


def report_data(report: external.Report, language: str) -> dict[str, Any]:
    items = []
    for row in report.rows:
        items.append(
            {
                "learner": learner_data(row.learner),
                "modules": [
                    {"slug": module.slug, "status": row.modules.get(module.id, "not_started")}
                    for module in report.modules
                ],
                "external_courses": [
                    {
                        "id": view.id,
                        "status": row.external[view.id].status
                        if view.id in row.external
                        else "none",
                        "completed_on": row.external[view.id].completed_on
                        if view.id in row.external
                        else None,
                    }
                    for view in report.courses
                ],
            }
        )
    return {
        "modules": [
            {"slug": module.slug, "title": module_title(module, language)}
            for module in report.modules
        ],
        "courses": [
            {
                "id": view.id,
                "title": view.course.title_in(language),
                "counts_toward_program": view.counts_toward_program,
            }
            for view in report.courses
        ],
        "items": items,
        "total": report.total,
    }


@blp.route("/coordination/external-report")
class ExternalReport(MethodView):
    @blp.arguments(schemas.ExternalReportQuerySchema, location="query")
    @blp.response(200, schemas.ExternalReportSchema)
    @authz.permission_required(authz.Permission.view_ministry_reports)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """One row per learner of your ministry: each program module's status beside
        each external course's completion."""
        user = authz.actor()
        page, per_page = query["page"], query["per_page"]
        ministry_id = None
        if query.get("ministry") and authz.sees_all_ministries(user):
            ministry_id = ministries.get_ministry(query["ministry"]).id
        report = external.external_report(
            user, ministry_id=ministry_id, limit=per_page, offset=(page - 1) * per_page
        )
        return {**report_data(report, current_language()), "page": page, "per_page": per_page}
