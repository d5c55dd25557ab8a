"""The completion report: one row per learner and module of the coordinator's ministry,
with status, best score, completion date and certificate serial; its filters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.factories import start_newer_version
from tests.reports.conftest import World, add_learners
from training.certificates.models import Certificate
from training.extensions import db


def rows_by_name(response: Any) -> dict[tuple[str, str], dict[str, Any]]:
    assert response.status_code == 200, response.get_json()
    return {(row["full_name"], row["module"]): row for row in response.get_json()["items"]}


def test_one_row_per_learner_and_module_with_status_score_date_and_serial(
    world: World, coordinator_get: Any
) -> None:
    response = coordinator_get("/api/v1/reports/completion")
    body = response.get_json()
    rows = rows_by_name(response)

    # Six Guatemalan learners (the coordinator is one) × two modules; nobody of Mexico.
    assert body["total"] == 12 and len(body["items"]) == 12
    assert {name for name, _module in rows} == {u.full_name for u in world.guatemalans}
    ana = rows[(world.ana.full_name, "alfa")]
    serial = db.session.scalars(db.select(Certificate.serial)).one()
    assert ana["status"] == "completed" and ana["best_score"] == 100
    assert ana["completed_at"].endswith("Z") and ana["certificate_serial"] == serial
    assert ana["certificate_status"] == "valid"
    assert ana["post"] == world.post_a.name and ana["module_title"] == "Módulo alfa"
    assert ana["learner_id"] == world.ana.id and ana["email"] == world.ana.email
    beto = rows[(world.beto.full_name, "alfa")]
    assert (beto["status"], beto["best_score"], beto["completed_at"]) == ("in_progress", 0, None)
    assert rows[(world.beto.full_name, "beta")]["status"] == "not_started"
    assert rows[(world.carla.full_name, "alfa")]["status"] == "not_started"
    # Deactivated staff stay, flagged.
    dora = rows[(world.dora.full_name, "alfa")]
    assert dora["inactive"] is True and dora["status"] == "completed"
    assert dora["certificate_serial"] is None
    assert not any(row["inactive"] for key, row in rows.items() if key[0] != world.dora.full_name)


def test_the_newest_progress_row_of_a_module_gives_its_status(
    world: World, coordinator_get: Any
) -> None:
    from training.progress.models import ModuleProgress

    completed = db.session.scalars(
        db.select(ModuleProgress).where(ModuleProgress.user_id == world.dora.id)
    ).one()
    # A later row for the same module (a newer version started) is what counts.
    start_newer_version(world.dora, completed.module_id, best_score=40)
    rows = rows_by_name(coordinator_get("/api/v1/reports/completion"))
    dora = rows[(world.dora.full_name, "alfa")]
    assert (dora["status"], dora["best_score"]) == ("in_progress", 40)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "status=completed",
            {("Ana Xicará", "alfa"), ("Ana Xicará", "beta"), ("Dora Coyoy", "alfa")},
        ),
        ("status=in_progress", {("Beto Ajú", "alfa")}),
        ("status=completed&post={post_b}", {("Dora Coyoy", "alfa")}),
        (
            "cohort={late}&status=not_started",
            {("Beto Ajú", "beta"), ("Carla Tzul", "alfa"), ("Carla Tzul", "beta")},
        ),
        (
            "post={post_a}&status=completed&from={today}&to={today}",
            {("Ana Xicará", "alfa"), ("Ana Xicará", "beta")},
        ),
        ("status=completed&to={yesterday}", set()),
        ("status=completed&from={tomorrow}", set()),
    ],
)
def test_filters(world: World, coordinator_get: Any, query: str, expected: set[Any]) -> None:
    today = date.today()
    url = "/api/v1/reports/completion?" + query.format(
        post_a=world.post_a.id,
        post_b=world.post_b.id,
        late=world.late_cohort.id,
        today=today.isoformat(),
        yesterday=(today - timedelta(days=1)).isoformat(),
        tomorrow=(today + timedelta(days=1)).isoformat(),
    )
    response = coordinator_get(url)
    assert set(rows_by_name(response)) == expected
    assert response.get_json()["total"] == len(expected)


def test_cohort_filter_keeps_only_its_members(world: World, coordinator_get: Any) -> None:
    rows = rows_by_name(
        coordinator_get(f"/api/v1/reports/completion?cohort={world.open_cohort.id}")
    )
    assert {name for name, _module in rows} == {world.dora.full_name}


def test_pages(world: World, coordinator_get: Any) -> None:
    first = coordinator_get("/api/v1/reports/completion?per_page=5").get_json()
    second = coordinator_get("/api/v1/reports/completion?per_page=5&page=3").get_json()
    beyond = coordinator_get("/api/v1/reports/completion?per_page=5&page=9").get_json()

    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (12, 1, 5, 5)
    assert (second["total"], len(second["items"])) == (12, 2)
    assert (beyond["total"], beyond["items"]) == (12, [])


def test_language_of_titles(world: World, coordinator_get: Any) -> None:
    items = coordinator_get("/api/v1/reports/completion?lang=en").get_json()["items"]
    assert {item["module_title"] for item in items} == {"Module alfa", "Module beta"}


def test_an_admin_picks_the_ministry(world: World, admin: Any, api_token: Any, client: Any) -> None:
    headers = api_token(admin)
    mexico = client.get("/api/v1/reports/completion?ministry=mx", headers=headers).get_json()
    assert {item["full_name"] for item in mexico["items"]} == {
        world.mexican.full_name,
        world.mexican_coordinator.full_name,
    }
    cohort = client.get(
        f"/api/v1/reports/completion?ministry=MX&cohort={world.mexican_cohort.id}", headers=headers
    )
    assert {item["full_name"] for item in cohort.get_json()["items"]} == {world.mexican.full_name}
    # A cohort of another ministry than the one picked is not found.
    wrong = client.get(
        f"/api/v1/reports/completion?ministry=MX&cohort={world.late_cohort.id}", headers=headers
    )
    assert wrong.status_code == 404
    unknown = client.get("/api/v1/reports/completion?ministry=ZZ", headers=headers)
    assert unknown.status_code == 404


def test_a_coordinator_may_name_their_own_ministry(world: World, coordinator_get: Any) -> None:
    assert coordinator_get("/api/v1/reports/completion?ministry=gt").get_json()["total"] == 12


@pytest.mark.parametrize("role", ["learner", "issuer", "regional"])
def test_other_roles_are_forbidden(make_user: Any, api_token: Any, client: Any, role: str) -> None:
    user = make_user(roles=[role])
    response = client.get("/api/v1/reports/completion", headers=api_token(user))
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_nobody_signed_in(client: Any) -> None:
    response = client.get("/api/v1/reports/completion")
    assert response.status_code == 401
    assert response.headers["Cache-Control"] == "no-store"


def test_no_program_means_no_rows(coordinator: Any, coordinator_get: Any) -> None:
    body = coordinator_get("/api/v1/reports/completion").get_json()
    assert body == {"items": [], "total": 0, "page": 1, "per_page": 100}
    assert coordinator_get("/api/v1/reports/modules").get_json()["items"] == []


def test_many_learners_by_name(world: World, coordinator_get: Any) -> None:
    add_learners("GT", 30, post=world.post_a)
    body = coordinator_get("/api/v1/reports/completion?per_page=1000").get_json()
    assert body["total"] == len(body["items"]) == (6 + 30) * 2
    bulk = [
        item["full_name"] for item in body["items"] if item["full_name"].startswith("Persona M")
    ]
    assert len(bulk) == 60 and len(set(bulk)) == 30
