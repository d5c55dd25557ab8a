"""``flask demo`` with the shipped content gives every report something to show, once."""

from __future__ import annotations

from typing import Any

from tests.catalog.conftest import SHIPPED
from tests.helpers import fresh, row_counts
from training.accounts import credentials
from training.catalog import services as catalog
from training.extensions import db
from training.reports import item_statistics
from training.system.demo_learning import DEMO_STAFF
from training.system.services import DEMO_PASSWORD


def token(client: Any, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/tokens", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_demo_fills_every_report_and_is_idempotent(app: Any, runner: Any) -> None:
    catalog.sync(SHIPPED, item_checks="error")
    db.session.commit()
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = row_counts()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert row_counts() == before
    fresh()

    client = app.test_client()
    headers = token(client, "coordinacion@demo.gt")

    def get(path: str) -> Any:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    statuses = {row["status"] for row in get("/api/v1/reports/completion?per_page=1000")}
    assert statuses == {"not_started", "in_progress", "completed"}
    assert any(
        row["certificate_serial"] for row in get("/api/v1/reports/completion?status=completed")
    )
    assert get("/api/v1/reports/overdue")
    assert any(row["completed"] for row in get("/api/v1/reports/cohorts"))
    assert any(row["started"] for row in get("/api/v1/reports/posts"))
    (iom,) = get("/api/v1/reports/external-courses")
    assert (iom["counts_toward_program"], iom["verified"], iom["reported"], iom["rejected"]) == (
        True,
        2,
        1,
        1,
    )
    # A ministry's item analysis: Guatemala's few demo learners answer each of the 30-item
    # banks too rarely for indices; Honduras has the simulated staff who do.
    assert get("/api/v1/reports/items")
    admin = token(client, "admin@demo.crm")
    honduras = client.get("/api/v1/reports/items?ministry=HN", headers=admin)
    assert honduras.status_code == 200, honduras.get_json()
    assert any(item["discrimination"] is not None for item in honduras.get_json()["items"])

    figures = client.get(
        "/api/v1/reports/regional", headers=token(client, "st@demo.crm")
    ).get_json()
    by_code = {row["ministry"]: row for row in figures["items"]}
    assert by_code["GT"]["certificates"] >= 2 and by_code["MX"]["completed"] >= 1

    # The authors' item statistics: every question of the shipped banks has enough
    # answers for its facility, nearly all (as in real data, an item that only middling
    # attempts drew has none) a discrimination index too, and the command prints them
    # with their flags.
    statistics = item_statistics.item_statistics()
    assert statistics and all(
        item.attempts >= item_statistics.MIN_ANSWERS and item.facility is not None
        for item in statistics
    )
    indexed = sum(1 for item in statistics if item.discrimination is not None)
    assert indexed >= 0.95 * len(statistics)
    report = runner.invoke(args=["content", "item-report"])
    assert report.exit_code == 0 and "too_easy" in report.output
    assert "unused_option" in report.output and "low_discrimination" in report.output

    email = DEMO_STAFF[0][0]
    assert credentials.authenticate(email, DEMO_PASSWORD).email == email
