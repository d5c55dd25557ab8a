"""The optional answer on sex is never shown by a page, API answer or export about a
person: only the CRM indicators count it, in aggregates."""

from __future__ import annotations

from typing import Any

from tests.reports.conftest import World
from training.extensions import db

PER_PERSON = [
    "/api/v1/me",
    "/api/v1/reports/completion",
    "/api/v1/reports/completion?format=csv",
    "/api/v1/reports/overdue",
    "/api/v1/reports/overdue?format=csv",
    "/api/v1/staff",
    "/api/v1/audit-events",
    "/api/v1/coordination/external-report",
    "/coordination/reports",
    "/coordination/staff",
    "/coordination/external-report",
    "/audit",
]


def test_no_page_api_or_export_about_a_person_shows_it(
    world: World, app: Any, api_token: Any, logged_in: Any
) -> None:
    answers = {
        world.ana: "female",
        world.beto: "male",
        world.carla: "another",
        world.dora: "prefer_not_to_say",
        world.coordinator: "female",
    }
    for person, value in answers.items():
        person.sex = value
    db.session.commit()
    headers = api_token(world.coordinator)
    browser = logged_in(world.coordinator)
    for path in PER_PERSON:
        if path.startswith("/api/"):
            response = app.test_client().get(path, headers=headers)
        else:
            response = browser.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        for text in ("prefer_not_to_say", "another", "female", '"sex"', "Prefiero no decirlo"):
            assert text not in body, (path, text)
    xlsx = app.test_client().get("/api/v1/reports/completion?format=xlsx", headers=headers)
    assert xlsx.status_code == 200 and b"female" not in xlsx.get_data()
