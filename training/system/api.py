from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from training import dependencies
from training.errors import DATABASE_RETRY_AFTER

blp = Blueprint("system_api", __name__, description="Service health.")


class HealthSchema(Schema):
    status = fields.String(
        metadata={
            "example": "ok",
            "description": "`ok`; `degraded` when only Redis or the broker is unreachable "
            "(still 200: the service works, with rate limits counted per process and "
            "background work waiting); `unavailable` when the database is unreachable (503).",
        }
    )
    database = fields.String(metadata={"example": "ok", "description": "`ok` or `unreachable`."})
    redis = fields.String(
        metadata={
            "example": "ok",
            "description": "Redis at `REDIS_URL`: `ok`, `unreachable`, or `not_configured`.",
        }
    )
    broker = fields.String(
        metadata={
            "example": "ok",
            "description": "Celery's broker (`CELERY_BROKER_URL`, else `REDIS_URL`): `ok`, "
            "`unreachable`, `not_configured`, or `unchecked` (a broker other than Redis, which "
            "is not looked at).",
        }
    )


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database is unreachable.")
    def get(self) -> tuple[dict[str, str], int] | tuple[dict[str, str], int, dict[str, str]]:
        """Each dependency's state, for load balancers and monitoring.

        200 while the database answers, even when Redis or the broker does not (then
        `status` is `degraded`), so that a load balancer keeps every host in service;
        503 with `Retry-After` when the database is unreachable."""
        redis_url = current_app.config.get("REDIS_URL")
        broker_url = dependencies.broker_url()
        states = {
            "database": dependencies.database_state(),
            "redis": dependencies.redis_state(redis_url),
        }
        # The same server answers for both when the broker is REDIS_URL: ask it once.
        states["broker"] = (
            states["redis"] if broker_url == redis_url else dependencies.redis_state(broker_url)
        )
        if states["database"] != dependencies.OK:
            retry = {"Retry-After": str(DATABASE_RETRY_AFTER)}
            return {"status": "unavailable", **states}, 503, retry
        degraded = dependencies.UNREACHABLE in (states["redis"], states["broker"])
        return {"status": "degraded" if degraded else "ok", **states}, 200
