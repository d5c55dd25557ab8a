"""The page of an export being prepared, and its download once ready."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from training import authz, security
from training.exports import services

blueprint = Blueprint("exports", __name__)


def file_response(export_id: str) -> Response:
    export, path = services.ready_file(authz.actor(), export_id)
    return security.private_download(path, services.KINDS[export.kind].mimetype, export.filename)


@blueprint.route("/exports/<export_id>")
@authz.login_required
def show(export_id: str) -> ResponseReturnValue:
    """Being prepared (a script asks the API and shows the link in place: the page never
    reloads on its own), ready (a download link) or failed."""
    export = services.get_for(authz.actor(), export_id)
    response = Response(render_template("exports/show.html", export=export))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/exports/<export_id>/file")
@authz.login_required
def download(export_id: str) -> ResponseReturnValue:
    return file_response(export_id)
