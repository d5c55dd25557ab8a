"""Summaries per post, module and cohort; overdue learners; quiz item analysis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.factories import create_attempt
from tests.reports.conftest import World
from training.catalog.models import Module, ModuleVersion, Question
from training.database import utcnow
from training.extensions import db
from training.quizzes.models import AttemptAnswer
from training.reports import services


def items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == len(body["items"]) and body["page"] == 1
    return body["items"]


def test_per_post(world: World, coordinator_get: Any) -> None:
    rows = {row["post"]: row for row in items(coordinator_get("/api/v1/reports/posts"))}

    assert set(rows) == {world.post_a.name, world.post_b.name, None}
    assert rows[world.post_a.name] == {
        "post_id": world.post_a.id,
        "post": world.post_a.name,
        "learners": 2,
        "inactive": 0,
        "started": 2,
        "completed": 1,
        "certificates": 1,
        "completion_rate": 50.0,
    }
    post_b = rows[world.post_b.name]
    assert (post_b["learners"], post_b["inactive"], post_b["started"]) == (2, 1, 1)
    assert rows[None]["learners"] == 2  # eva and the coordinator have no post
    only_a = items(coordinator_get(f"/api/v1/reports/posts?post={world.post_a.id}"))
    assert [row["post"] for row in only_a] == [world.post_a.name]


def test_per_module(world: World, coordinator_get: Any) -> None:
    rows = {row["module"]: row for row in items(coordinator_get("/api/v1/reports/modules"))}

    assert rows["alfa"] == {
        "module": "alfa",
        "title": "Módulo alfa",
        "learners": 6,
        "not_started": 3,
        "in_progress": 1,
        "completed": 2,
        "completion_rate": 33.3,
        "average_best_score": 66.7,
    }
    assert (rows["beta"]["completed"], rows["beta"]["not_started"]) == (1, 5)
    in_cohort = {
        row["module"]: row
        for row in items(coordinator_get(f"/api/v1/reports/modules?cohort={world.late_cohort.id}"))
    }
    assert (in_cohort["alfa"]["learners"], in_cohort["alfa"]["completed"]) == (3, 1)


def test_per_cohort_and_overdue(world: World, coordinator_get: Any) -> None:
    rows = {row["name"]: row for row in items(coordinator_get("/api/v1/reports/cohorts"))}
    assert set(rows) == {"Taller vencido", "Curso vigente"}
    late = rows["Taller vencido"]
    assert (late["members"], late["completed"], late["overdue"]) == (3, 1, 2)
    assert late["completion_rate"] == 33.3 and late["program"] == "programa-prueba"
    assert rows["Curso vigente"]["overdue"] == 0

    overdue = coordinator_get("/api/v1/reports/overdue").get_json()
    assert overdue["total"] == 2
    assert [row["full_name"] for row in overdue["items"]] == [
        world.beto.full_name,
        world.carla.full_name,
    ]
    beto = overdue["items"][0]
    assert beto["cohort"] == "Taller vencido" and beto["cohort_id"] == world.late_cohort.id
    assert beto["days_overdue"] == 5 and (beto["modules_completed"], beto["modules_total"]) == (
        0,
        2,
    )
    at_post_b = coordinator_get(f"/api/v1/reports/overdue?post={world.post_b.id}").get_json()
    assert [row["full_name"] for row in at_post_b["items"]] == [world.carla.full_name]
    paged = coordinator_get("/api/v1/reports/overdue?per_page=1&page=5").get_json()
    assert (paged["total"], paged["items"]) == (2, [])


def graded_attempts(user: Any, scores_and_credits: list[tuple[int, dict[str, float]]]) -> None:
    """Graded attempts on module alfa, written directly: each with a score and the
    credit of each question answered."""
    version = db.session.scalars(
        db.select(ModuleVersion)
        .join(Module, Module.id == ModuleVersion.module_id)
        .where(Module.slug == "alfa")
    ).one()
    questions = {
        q.key: q.id
        for q in db.session.scalars(
            db.select(Question).where(Question.module_version_id == version.id)
        )
    }
    for number, (score, credits) in enumerate(scores_and_credits, start=1):
        attempt = create_attempt(user, version, score=score, number=number)
        attempt.answers = [
            AttemptAnswer(
                question_id=questions[key], choice_ids=[], credit=credit, correct=credit == 1
            )
            for key, credit in credits.items()
        ]
    db.session.commit()


def test_item_analysis_facility_and_discrimination(
    coordinator: Any, program: Any, coordinator_get: Any, make_user: Any
) -> None:
    learner = make_user(roles=["learner"])
    # Six attempts, best first. q01: the strong get it right (discriminates); q02: only
    # the weak do (misleads); q03 has four answers (too few for an index).
    graded_attempts(
        learner,
        [
            (100, {"q01": 1.0, "q02": 0.0, "q03": 1.0}),
            (90, {"q01": 1.0, "q02": 0.0, "q03": 0.5}),
            (80, {"q01": 1.0, "q02": 1.0, "q03": 1.0}),
            (40, {"q01": 0.0, "q02": 1.0, "q03": 0.0}),
            (30, {"q01": 0.0, "q02": 1.0}),
            (20, {"q01": 0.0, "q02": 1.0}),
        ],
    )
    # Another ministry's answers never count.
    graded_attempts(make_user(roles=["learner"], ministry="MX"), [(0, {"q01": 1.0})])

    rows = {row["question"]: row for row in items(coordinator_get("/api/v1/reports/items"))}

    assert rows["q01"]["answers"] == 6 and rows["q01"]["facility"] == 0.5
    # 27 % of 6 rounds to 2: upper group (100, 90) facility 1, lower (30, 20) facility 0.
    assert rows["q01"]["discrimination"] == 1.0 and rows["q01"]["review"] is False
    assert rows["q02"]["facility"] == 0.667 and rows["q02"]["discrimination"] == -1.0
    assert rows["q02"]["review"] is True
    assert rows["q03"] | {"text": None} == {
        "question": "q03",
        "module": "alfa",
        "version": 1,
        "type": "multiple",
        "topic": "identification",
        "text": None,
        "answers": 4,
        "facility": None,
        "discrimination": None,
        "review": False,
    }
    assert rows["q01"]["text"].startswith("¿Cuántos elementos")
    assert items(coordinator_get("/api/v1/reports/items?module=beta")) == []
    assert items(coordinator_get("/api/v1/reports/items?module=nada")) == []
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert items(coordinator_get(f"/api/v1/reports/items?from={tomorrow}")) == []


@pytest.mark.parametrize(
    ("answers", "size"), [(5, 1), (6, 2), (10, 3), (11, 3), (13, 4), (100, 27), (1000, 270)]
)
def test_group_size_is_27_per_cent_rounded(answers: int, size: int) -> None:
    assert services.group_size(answers) == size


def test_item_analysis_from_real_attempts(world: World, coordinator_get: Any) -> None:
    rows = items(coordinator_get("/api/v1/reports/items?module=alfa"))
    # ana, beto and dora each submitted one attempt of three questions.
    assert {row["question"]: row["answers"] for row in rows} == {"q01": 3, "q02": 3, "q03": 3}
    assert all(row["facility"] is None for row in rows)
    cohort = items(
        coordinator_get(f"/api/v1/reports/items?cohort={world.late_cohort.id}&module=alfa")
    )
    assert {row["answers"] for row in cohort} == {2}
