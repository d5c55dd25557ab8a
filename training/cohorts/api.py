"""Cohorts as JSON (coordinators, own ministry)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from training import authz
from training.cohorts import schemas, services
from training.schemas import envelope

blp = Blueprint(
    "cohorts_api",
    __name__,
    url_prefix="/api/v1",
    description="Cohorts of the coordinator's ministry.",
)


def _summary(item: services.CohortSummary) -> dict[str, Any]:
    return {
        "id": item.cohort_id,
        "name": item.name,
        "program": item.program,
        "starts_on": item.starts_on,
        "deadline": item.deadline,
        "members": item.members,
        "completed": item.completed,
        "overdue": item.overdue,
    }


@blp.route("/cohorts")
class Cohorts(MethodView):
    @blp.response(200, schemas.CohortListSchema)
    @authz.permission_required(authz.Permission.manage_staff)
    def get(self) -> dict[str, Any]:
        """The ministry's cohorts with member, completion and overdue counts."""
        items = [_summary(item) for item in services.summaries(authz.actor())]
        return envelope(items)

    @blp.arguments(schemas.CohortInSchema)
    @blp.response(201, schemas.CohortSchema)
    @authz.permission_required(authz.Permission.manage_staff)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a cohort on a program, with its dates."""
        cohort = services.create(
            authz.actor(),
            name=data["name"],
            program_slug=data["program"],
            starts_on=data["starts_on"],
            deadline=data["deadline"],
        )
        return _summary(services.CohortSummary.of(cohort, 0, 0))


@blp.route("/cohorts/<cohort_id>")
class CohortDetail(MethodView):
    @blp.response(200, schemas.CohortDetailSchema)
    @blp.alt_response(404, description="No such cohort in your ministry.")
    @authz.permission_required(authz.Permission.manage_staff)
    def get(self, cohort_id: str) -> dict[str, Any]:
        """A cohort and its members, with who completed and who is overdue."""
        user = authz.actor()
        cohort = services.get(user, cohort_id)
        rows = services.members(user, cohort)
        (summary,) = services.tally(cohort.ministry_id, cohort_id=cohort.id)
        data = _summary(summary)
        data["members_list"] = [
            {
                "id": row.user.id,
                "full_name": row.user.full_name,
                "email": row.user.email,
                "post": row.user.post.name if row.user.post else None,
                "completed_at": row.completed_at,
                "overdue": row.overdue(cohort),
            }
            for row in rows
        ]
        return data


@blp.route("/cohorts/<cohort_id>/members")
class CohortMembers(MethodView):
    @blp.arguments(schemas.MembersInSchema)
    @blp.response(200, schemas.MembersOutSchema)
    @blp.alt_response(404, description="No such cohort, post or person in your ministry.")
    @authz.permission_required(authz.Permission.manage_staff)
    def post(self, data: dict[str, Any], cohort_id: str) -> dict[str, Any]:
        """Add members: by ids, by post, every learner, or by e-mails (unknown ones are
        listed back)."""
        user = authz.actor()
        cohort = services.get(user, cohort_id)
        not_found: list[str] = []
        if "emails" in data:
            added, not_found = services.add_members_by_email(user, cohort, data["emails"])
        else:
            added = services.add_members(
                user,
                cohort,
                user_ids=data.get("user_ids"),
                post_id=data.get("post"),
                all_learners=data.get("all_learners", False),
            )
        return {"added": added, "not_found": not_found}
