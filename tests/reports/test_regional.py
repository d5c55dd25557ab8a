"""The regional view: per ministry, counts and rates only; nobody is named."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import login
from tests.reports.conftest import World

REGIONAL_PATHS = [
    "/api/v1/reports/regional",
    "/api/v1/reports/regional/modules",
    "/api/v1/reports/regional/periods",
    "/api/v1/reports/regional?format=csv",
    "/api/v1/reports/regional/modules?format=csv",
    "/api/v1/reports/regional/periods?format=csv",
    "/api/v1/reports/regional?format=xlsx",
    "/regional",
]


@pytest.fixture
def regional_get(app: Any, regional: Any, api_token: Any) -> Any:
    headers = api_token(regional)
    client = app.test_client()
    return lambda path: client.get(path, headers=headers)


def test_per_ministry(world: World, regional_get: Any) -> None:
    body = regional_get("/api/v1/reports/regional").get_json()
    rows = {row["ministry"]: row for row in body["items"]}

    assert len(rows) == 11 and body["total"] == 11
    assert rows["GT"] == {
        "ministry": "GT",
        "ministry_name": rows["GT"]["ministry_name"],
        "staff": 6,
        "started": 3,
        "completed": 1,
        "certificates": 1,
        "average_best_score": 75.0,
        "start_rate": 50.0,
        "completion_rate": 16.7,
    }
    assert "Guatemala" in rows["GT"]["ministry_name"]
    assert (rows["MX"]["staff"], rows["MX"]["started"], rows["MX"]["completed"]) == (2, 1, 0)
    assert rows["BZ"]["staff"] == 0 and rows["BZ"]["completion_rate"] is None


def test_per_module_and_period(world: World, regional_get: Any) -> None:
    modules = regional_get("/api/v1/reports/regional/modules").get_json()["items"]
    assert len(modules) == 11 * 2
    gt_alfa = next(row for row in modules if (row["ministry"], row["module"]) == ("GT", "alfa"))
    assert (gt_alfa["started"], gt_alfa["completed"], gt_alfa["staff"]) == (3, 2, 6)
    assert gt_alfa["completion_rate"] == 33.3 and gt_alfa["module_title"] == "Módulo alfa"

    periods = regional_get("/api/v1/reports/regional/periods").get_json()["items"]
    month = date.today().strftime("%Y-%m")
    assert [(p["ministry"], p["period"], p["completed"], p["certificates"]) for p in periods] == [
        ("GT", month, 1, 1)
    ]
    future = (date.today() + timedelta(days=1)).isoformat()
    assert regional_get(f"/api/v1/reports/regional/periods?from={future}").get_json()["items"] == []
    later = regional_get(f"/api/v1/reports/regional?from={future}").get_json()["items"]
    gt = next(row for row in later if row["ministry"] == "GT")
    assert (gt["staff"], gt["started"], gt["completed"], gt["certificates"]) == (6, 3, 0, 0)


def test_csv_export(world: World, regional_get: Any) -> None:
    response = regional_get("/api/v1/reports/regional?format=csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="regional-')
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Ministerio (código)" and len(rows) == 12


def test_a_regional_user_sees_no_person(
    world: World, regional_get: Any, app: Any, regional: Any
) -> None:
    client = app.test_client()
    login(client, regional)
    outputs = []
    for path in REGIONAL_PATHS:
        response = client.get(path) if path == "/regional" else regional_get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        if "xlsx" in path:
            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
            outputs.append(json.dumps([[c.value for c in row] for row in sheet.iter_rows()]))
        else:
            outputs.append(response.get_data(as_text=True))
    text = "\n".join(outputs)
    for person in world.people:
        assert person.full_name not in text
        assert person.email not in text
        assert person.email.split("@")[0] not in text
    for path in REGIONAL_PATHS[:3]:
        for item in regional_get(path).get_json()["items"]:
            assert not {"learner_id", "user_id", "id", "email", "full_name", "holder_name"} & set(
                item
            )


@pytest.mark.parametrize("role", ["learner", "coordinator", "issuer"])
def test_only_the_regional_role_and_admins(
    make_user: Any, api_token: Any, client: Any, role: str
) -> None:
    user = make_user(roles=[role])
    response = client.get("/api/v1/reports/regional", headers=api_token(user))
    assert response.status_code == 403


def test_admins_see_the_regional_figures(
    world: World, admin: Any, api_token: Any, client: Any
) -> None:
    response = client.get("/api/v1/reports/regional", headers=api_token(admin))
    assert response.status_code == 200 and len(response.get_json()["items"]) == 11


def test_a_regional_user_reads_no_ministry_report(world: World, regional_get: Any) -> None:
    for path in ["completion", "posts", "modules", "cohorts", "overdue", "items"]:
        response = regional_get(f"/api/v1/reports/{path}?ministry=GT")
        assert response.status_code == 403, path
        assert world.ana.full_name not in response.get_data(as_text=True)
