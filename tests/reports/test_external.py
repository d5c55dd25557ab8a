"""External courses beside the modules: per course, how many of the ministry's learners
had a completion verified, awaiting review or rejected, and whether the ministry counts
the course; the same figures in the API, the page and the exports."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.conftest import login
from tests.factories import start_newer_version
from tests.reports.conftest import World
from training.catalog.models import Module
from training.extensions import db
from training.links import completions, courses
from training.links.models import ExternalCourse


def register(actor: Any, title: str, url: str) -> ExternalCourse:
    course = courses.register(
        actor, {"provider": "OIM / IOM", "title": {"es": title}, "url": url, "language": "es"}
    )
    db.session.commit()
    return course


def report(learner: Any, course: ExternalCourse, day: str = "2026-03-10") -> int:
    completion, _new = completions.report_completion(learner, course.id, completed_on=day)
    db.session.commit()
    return completion.id


def decide(coordinator: Any, completion_id: int, decision: str) -> None:
    completions.review(coordinator, completion_id, decision, note="No coincide el nombre.")
    db.session.commit()


def build(world: World, admin: Any) -> tuple[ExternalCourse, ExternalCourse]:
    iom = register(admin, "Curso virtual de la OIM", "https://www.ecampus.iom.int/")
    theirs = register(
        world.mexican_coordinator, "Curso solo de México", "https://formacion.sre.gob.mx/c"
    )
    courses.set_credit(world.coordinator, iom.id, True)
    db.session.commit()
    decide(world.coordinator, report(world.ana, iom), "verified")
    decide(world.coordinator, report(world.beto, iom, "2026-05-02"), "rejected")
    report(world.carla, iom)
    # Mexico's learners and course never show in Guatemala's figures.
    decide(world.mexican_coordinator, report(world.mexican, iom), "verified")
    report(world.mexican, theirs)
    return iom, theirs


def test_counts_per_course_for_the_ministry_only(
    world: World, admin: Any, coordinator_get: Any
) -> None:
    iom, _theirs = build(world, admin)

    response = coordinator_get("/api/v1/reports/external-courses")

    assert response.status_code == 200
    assert response.get_json()["items"] == [
        {
            "course_id": iom.id,
            "provider": "OIM / IOM",
            "title": "Curso virtual de la OIM",
            "counts_toward_program": True,
            "active": True,
            "learners": 6,
            "verified": 1,
            "reported": 1,
            "rejected": 1,
            "not_reported": 3,
            "verified_rate": 16.7,
        }
    ]


def test_filters_narrow_the_people_and_the_period(
    world: World, admin: Any, coordinator_get: Any
) -> None:
    build(world, admin)

    def figures(query: str) -> tuple[int, int, int, int]:
        (row,) = coordinator_get(f"/api/v1/reports/external-courses?{query}").get_json()["items"]
        return row["learners"], row["verified"], row["reported"], row["rejected"]

    assert figures(f"post={world.post_a.id}") == (2, 1, 0, 1)
    assert figures(f"cohort={world.late_cohort.id}") == (3, 1, 1, 1)
    assert figures("from=2026-05-01&to=2026-05-31") == (6, 0, 0, 1)


def test_a_withdrawn_course_stays_while_someone_completed_it(
    world: World, admin: Any, coordinator_get: Any
) -> None:
    iom, _theirs = build(world, admin)
    unused = register(admin, "Curso sin nadie", "https://example.org/curso")
    for course in (iom, unused):
        courses.update(admin, course.id, {"active": False})
    db.session.commit()

    rows = coordinator_get("/api/v1/reports/external-courses").get_json()["items"]

    assert [(row["title"], row["active"]) for row in rows] == [("Curso virtual de la OIM", False)]


def test_the_page_and_the_export_show_the_same_figures(
    app: Any, world: World, admin: Any, coordinator_get: Any
) -> None:
    build(world, admin)
    client = app.test_client()
    login(client, world.coordinator)

    page = client.get("/coordination/reports").get_data(as_text=True)
    exported = coordinator_get("/api/v1/reports/external-courses?format=csv")

    assert 'id="external-heading"' in page and "Curso virtual de la OIM" in page
    assert "Curso solo de México" not in page
    assert "/coordination/external-report" in page
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Id del curso", "Proveedor", "Curso"]
    assert rows[1][2:] == ["Curso virtual de la OIM", "sí", "sí", "6", "1", "1", "1", "3", "16.7"]
    assert len(rows) == 2


def test_the_per_learner_page_takes_a_module_status_from_the_newest_progress_row(
    world: World, coordinator_get: Any
) -> None:
    alfa = db.session.scalars(db.select(Module).where(Module.slug == "alfa")).one()
    # Ana completed alfa, then started its newer version: the ministry report says
    # in progress, and so does the per-learner page beside the external courses.
    start_newer_version(world.ana, alfa.id)

    completion = coordinator_get("/api/v1/reports/completion").get_json()["items"]
    external = coordinator_get("/api/v1/coordination/external-report").get_json()["items"]

    [in_report] = [
        row["status"]
        for row in completion
        if row["learner_id"] == world.ana.id and row["module"] == "alfa"
    ]
    [ana] = [row for row in external if row["learner"]["id"] == world.ana.id]
    assert in_report == "in_progress"
    assert {cell["slug"]: cell["status"] for cell in ana["modules"]}["alfa"] == "in_progress"
