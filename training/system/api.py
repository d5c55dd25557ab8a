from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from training.errors import DATABASE_RETRY_AFTER
from training.extensions import db

blp = Blueprint("system_api", __name__, description="Service health.")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    database = fields.String(metadata={"example": "ok"})


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database is unreachable.")
    def get(self) -> tuple[dict[str, str], int] | tuple[dict[str, str], int, dict[str, str]]:
        """Liveness and database reachability, for load balancers and monitoring."""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            retry = {"Retry-After": str(DATABASE_RETRY_AFTER)}
            return {"status": "unavailable", "database": "unreachable"}, 503, retry
        return {"status": "ok", "database": "ok"}, 200
