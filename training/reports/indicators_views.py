"""The CRM indicators page: its JSON twin is :mod:`training.reports.indicators_api`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from marshmallow import ValidationError

from training import authz
from training.errors import ValidationFailed
from training.i18n import current_language
from training.reports import api, indicators, indicators_api
from training.reports.indicator_schemas import IndicatorQuerySchema
from training.reports.scope import all_ministries

blueprint = Blueprint("indicators", __name__)


@blueprint.after_request
def _never_cache(response: Response) -> Response:
    return api.no_store(response)


@blueprint.route("/reports/indicators")
@authz.permission_required(authz.Permission.view_indicators)
def show() -> Response:
    """The indicators of a period, in total and per breakdown, with their downloads."""
    try:
        query: dict[str, Any] = IndicatorQuerySchema().load(request.args.to_dict())
    except ValidationError as error:
        raise ValidationFailed(details={"fields": error.messages}) from None
    report = indicators_api.load(query)
    if query.get("format"):
        return indicators_api.export(query["format"], report)
    user = authz.actor()
    choices = all_ministries() if authz.sees_every_ministry_figures(user) else []
    periods = indicators.period_choices()
    if report.period not in periods:
        periods.insert(0, report.period)
    ministry = report.scope.ministry
    args: dict[str, Any] = {"period": report.period.label}
    if choices and ministry is not None:
        args["ministry"] = ministry.code
    return Response(
        render_template(
            "reports/indicators.html",
            report=report,
            periods=periods,
            ministries=choices,
            language=current_language(),
            indicator_names=indicators.INDICATORS,
            labels=indicators.INDICATOR_LABELS,
            definitions=indicators.INDICATOR_DEFINITIONS,
            threshold=indicators.THRESHOLD,
            csv_url=url_for("indicators_api.Indicators", format="csv", **args),
            xlsx_url=url_for("indicators_api.Indicators", format="xlsx", **args),
        )
    )
