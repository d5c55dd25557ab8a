"""Exports over the API: the status of one, and its file once ready."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from training import authz
from training.exports import schemas, services, views
from training.exports.presenters import export_data

blp = Blueprint(
    "exports_api",
    __name__,
    url_prefix="/api/v1",
    description="Large downloads prepared in the background (certificate ZIPs, XLSX "
    "reports): an endpoint that answers 202 with a Location here.",
)


@blp.route("/exports/<export_id>")
class ExportStatus(MethodView):
    @blp.response(200, schemas.ExportSchema)
    @blp.alt_response(403, description="You no longer hold the permission it needs.")
    @blp.alt_response(404, description="Unknown, someone else's, or expired.")
    @authz.login_required
    def get(self, export_id: str) -> dict[str, Any]:
        """An export you asked for: queued, ready (with ``download_url``) or failed."""
        response = export_data(services.get_for(authz.actor(), export_id))
        return response


@blp.route("/exports/<export_id>/file")
class ExportFile(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The file.",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    )
    @blp.alt_response(404, description="Unknown, someone else's, or expired.")
    @blp.alt_response(409, description="Not ready yet, or it failed.")
    @authz.login_required
    def get(self, export_id: str) -> Response:
        """The export's file (``Cache-Control: no-store``)."""
        return views.file_response(export_id)
