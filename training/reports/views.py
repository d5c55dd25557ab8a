"""Report pages: the coordinators' ministry report and item analysis, and the regional
dashboard. Each has its JSON twin in :mod:`training.reports.api`; no page is cached."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from marshmallow import Schema, ValidationError

from training import authz
from training.errors import ValidationFailed
from training.i18n import current_language
from training.ministries import services as ministries
from training.ministries.models import Ministry
from training.reports import api, external, item_statistics, presenters, schemas, services
from training.reports.scope import all_ministries

blueprint = Blueprint("reports", __name__)

PAGE_ROWS = 100
OVERDUE_ROWS = 50
EXTERNAL_ROWS = 50


@blueprint.after_request
def _never_cache(response: Response) -> Response:
    """Reports name people: no copy in any cache, error pages included."""
    return api.no_store(response)


def _query(schema: Schema) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(request.args.to_dict())
    except ValidationError as error:
        raise ValidationFailed(details={"fields": error.messages}) from None
    return loaded


def _page(template: str, **context: Any) -> Response:
    return Response(render_template(template, **context))


def _accepted(schema: type[Schema]) -> frozenset[str]:
    return frozenset(field.data_key or name for name, field in schema().fields.items())


PAGE_QUERIES: dict[str, type[Schema]] = {
    "reports.ministry_report": schemas.ReportCompletionQuerySchema,
    "reports.item_report": schemas.ReportItemQuerySchema,
    "reports.regional": schemas.RegionalQuerySchema,
}


def _links(query: dict[str, Any], endpoint: str, **extra: Any) -> str:
    """The URL of ``endpoint`` with those of the page's filters (as the visitor typed
    them) that the target accepts: a filter it does not know would be refused."""
    if endpoint in PAGE_QUERIES:
        accepted = _accepted(PAGE_QUERIES[endpoint])
    else:
        accepted = _accepted(schemas.QUERY[api.REPORT_OF_ENDPOINT[endpoint]])
    args: dict[str, Any] = {
        key: value
        for key, value in request.args.items()
        if value and key in accepted and key not in {"page", "per_page", "format"}
    }
    args.update({key: value for key, value in extra.items() if value is not None})
    return url_for(endpoint, **args)


def _ministry_choices(user: Any) -> list[Ministry]:
    """Administrators choose the ministry; everybody else sees their own."""
    if not authz.sees_all_ministries(user):
        return []
    return all_ministries()


@blueprint.route("/coordination/reports")
@authz.permission_required(authz.Permission.view_ministry_reports)
def ministry_report() -> Response:
    """Completion per learner and module with its filters, the summaries per post, module
    and cohort, and the overdue learners."""
    query = _query(schemas.ReportCompletionQuerySchema())
    user = authz.actor()
    scope = services.scope(user, services.Filters.from_query(query), query.get("ministry"))
    language = current_language()
    if query.get("format"):
        return api.export(
            query["format"],
            presenters.completion(language),
            services.completion_stream(scope),
            scope.ministry.code,
        )
    page = query["page"]
    post_list = services.posts(scope)
    cohorts = services.cohort_summaries(scope, every_cohort=True)
    by_post = services.post_summaries(scope, post_list)
    # The per-post summary counts every learner of the scope once.
    learners = sum(item.learners for item in by_post)
    rows, total = services.completion_page(scope, page, PAGE_ROWS, learners=learners)
    overdue, overdue_total = services.overdue_page(scope, 1, OVERDUE_ROWS)
    return _page(
        "reports/ministry.html",
        scope=scope,
        query=query,
        language=language,
        ministries=_ministry_choices(user),
        posts=post_list,
        cohorts=cohorts,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_ROWS)),
        by_post=by_post,
        by_module=services.module_summaries(scope, learners=learners),
        by_external=services.external_summaries(scope, learners=learners),
        shown_cohorts=[
            c for c in cohorts if scope.cohort is None or c.cohort_id == scope.cohort.id
        ],
        overdue=overdue,
        overdue_total=overdue_total,
        statuses=presenters.STATUS_LABELS,
        link=lambda endpoint, **extra: _links(query, endpoint, **extra),
        page_link=lambda number: _links(query, "reports.ministry_report", page=number),
    )


@blueprint.route("/coordination/reports/items")
@authz.permission_required(authz.Permission.view_ministry_reports)
def item_report() -> Response:
    """Quiz item analysis: which questions are too hard or mislead the better learners."""
    query = _query(schemas.ReportItemQuerySchema())
    user = authz.actor()
    scope = services.scope(user, services.Filters.from_query(query), query.get("ministry"))
    language = current_language()
    if query.get("format"):
        return api.export(
            query["format"],
            presenters.items(language),
            services.item_analysis(scope),
            scope.ministry.code,
        )
    return _page(
        "reports/items.html",
        scope=scope,
        query=query,
        language=language,
        ministries=_ministry_choices(user),
        posts=services.posts(scope),
        cohorts=services.cohort_summaries(scope, every_cohort=True),
        items=services.item_analysis(scope),
        min_answers=services.MIN_ANSWERS,
        link=lambda endpoint, **extra: _links(query, endpoint, **extra),
    )


@blueprint.route("/regional")
@authz.permission_required(authz.Permission.view_regional_reports)
def regional() -> Response:
    """The regional dashboard: counts and rates per ministry, module and month."""
    query = _query(schemas.RegionalQuerySchema())
    user = authz.actor()
    filters = services.Filters.from_query(query)
    return _page(
        "reports/regional.html",
        query=query,
        language=current_language(),
        ministries=services.regional_ministries(user, filters),
        modules=services.regional_modules(user, filters),
        periods=services.regional_periods(user, filters),
        link=lambda endpoint, **extra: _links(query, endpoint, **extra),
    )


@blueprint.route("/content/item-statistics")
@authz.permission_required(authz.Permission.manage_content)
def item_statistics_page() -> Response:
    """The authors' item statistics, every ministry pooled: counts only, no names."""
    module = request.args.get("module", "").strip() or None
    return _page(
        "reports/item_statistics.html",
        module=module,
        modules=item_statistics.modules(),
        items=item_statistics.item_statistics(module),
        language=current_language(),
        statistics=item_statistics,
    )


@blueprint.route("/coordination/external-report")
@authz.permission_required(authz.Permission.view_ministry_reports)
def external_report() -> Response:
    """Each learner's program modules beside their external courses."""
    user = authz.actor()
    value = request.args.get("page", "1")
    page = max(1, min(int(value), 100000)) if value.isdigit() and len(value) <= 6 else 1
    ministry_id = None
    code = request.args.get("ministry", "")
    if code and authz.sees_all_ministries(user):
        ministry_id = ministries.get_ministry(code).id
    data = external.external_report(
        user, ministry_id=ministry_id, limit=EXTERNAL_ROWS, offset=(page - 1) * EXTERNAL_ROWS
    )
    return _page(
        "reports/external.html",
        report=data,
        page=page,
        pages=max(1, -(-data.total // EXTERNAL_ROWS)),
        ministry=code if ministry_id else "",
    )
