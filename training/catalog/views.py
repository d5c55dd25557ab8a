"""Content served to signed-in users: the assets (images) that lessons refer to.

The learner's module and lesson pages are in ``training.progress.views``."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from training import authz
from training.catalog.models import ContentAsset
from training.extensions import db

blueprint = Blueprint("catalog", __name__)


@blueprint.route("/content/assets/<name>")
@authz.login_required
def show_asset(name: str) -> Response:
    digest = name.split(".", 1)[0]
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        abort(404)
    asset = db.session.get(ContentAsset, digest)
    if asset is None:
        abort(404)
    response = Response(asset.data, mimetype=asset.media_type)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    if asset.media_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
