"""The audit log as JSON, CSV or XLSX: administrators (every ministry) and coordinators
(their own ministry's events). Like every report, never cached."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from training import authz
from training.reports import api, audit_log, audit_schemas
from training.schemas import envelope

blp = Blueprint(
    "audit_api",
    __name__,
    url_prefix="/api/v1",
    description="The audit log: who did what to which record, when and from where.",
)


@blp.after_request
def _never_cache(response: Response) -> Response:
    return api.no_store(response)


def export(format_name: str, scope: audit_log.AuditScope) -> Response:
    """The whole filtered log as a streamed download (shared with the page)."""
    return api.export(format_name, audit_log.table(), audit_log.stream(scope), scope.ministry_code)


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @blp.arguments(audit_schemas.AuditEventQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, audit_schemas.AuditEventListSchema)
    @blp.doc(**api.exports_doc(audit_schemas.AuditEventListSchema))
    @blp.alt_response(404, description="A ministry not in your reach.")
    @authz.permission_required(authz.Permission.read_audit_log)
    def get(self, query: dict[str, Any]) -> Any:
        """The audit log, newest first, filtered by action, actor, target and period.

        Administrators see every ministry's events; coordinators their own ministry's.
        ``actor`` is a user id, an e-mail or ``anonymous``; ``action`` an action
        (``certificate.revoked``) or a family (``certificate``); ``from``/``to`` days (UTC).
        """
        scope = audit_log.scope(authz.actor(), audit_log.AuditFilters.from_query(query))
        if query.get("format"):
            return export(query["format"], scope)
        table = audit_log.table()
        number, per_page = query["page"], query["per_page"]
        rows, total = audit_log.page(scope, number, per_page)
        return envelope([table.item(row) for row in rows], total, number, per_page)
