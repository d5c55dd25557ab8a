"""The audit log page: its JSON twin is :mod:`training.reports.audit_api`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from marshmallow import ValidationError

from training import authz
from training.errors import ValidationFailed
from training.reports import api, audit_api, audit_log, audit_schemas
from training.reports.scope import all_ministries

blueprint = Blueprint("audit_log", __name__)

PAGE_ROWS = 50


@blueprint.after_request
def _never_cache(response: Response) -> Response:
    """The log names people and addresses: no copy in any cache."""
    return api.no_store(response)


@blueprint.route("/audit")
@authz.permission_required(authz.Permission.read_audit_log)
def list_events() -> Response:
    """The filtered log, a page at a time, with its downloads."""
    try:
        query: dict[str, Any] = audit_schemas.AuditEventQuerySchema().load(request.args.to_dict())
    except ValidationError as error:
        raise ValidationFailed(details={"fields": error.messages}) from None
    user = authz.actor()
    scope = audit_log.scope(user, audit_log.AuditFilters.from_query(query))
    if query.get("format"):
        return audit_api.export(query["format"], scope)
    number = query["page"]
    rows, total = audit_log.page(scope, number, PAGE_ROWS)
    ministries = all_ministries() if authz.sees_all_ministries(user) else []
    return Response(
        render_template(
            "reports/audit.html",
            scope=scope,
            query=query,
            rows=rows,
            total=total,
            page=number,
            pages=max(1, -(-total // PAGE_ROWS)),
            actions=audit_log.actions(scope),
            ministries=ministries,
            link=_link,
            as_json=audit_log.details_text,
        )
    )


def _link(**extra: Any) -> str:
    """This page (or its JSON twin for a download) with the visitor's filters."""
    endpoint = "audit_api.AuditEvents" if "format" in extra else "audit_log.list_events"
    args: dict[str, Any] = {
        key: value
        for key, value in request.args.items()
        if value and key not in {"page", "per_page", "format"}
    }
    args.update({key: value for key, value in extra.items() if value is not None})
    return url_for(endpoint, **args)
