"""Cohorts: created and filled by a coordinator of one ministry only; late learners
flagged; deadlines on the learner's dashboard."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.certificates.conftest import complete_program
from tests.factories import create_post_for
from training.cohorts.models import Cohort, CohortMember
from training.extensions import db


@pytest.fixture
def coordinator_api(app: Any, coordinator: Any, api_token: Any, synced_content: Any) -> Any:
    headers = api_token(coordinator)
    client = app.test_client()

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def new_cohort(call: Any, name: str = "Taller 2026", *, past: bool = False) -> dict[str, Any]:
    today = date.today()
    start = today - timedelta(days=60) if past else today
    end = today - timedelta(days=1) if past else today + timedelta(days=90)
    response = call(
        "POST",
        "/api/v1/cohorts",
        json={
            "name": name,
            "program": "programa-prueba",
            "starts_on": start.isoformat(),
            "deadline": end.isoformat(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def counts() -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(db.select(db.func.count(Cohort.id))),
        db.session.scalar(db.select(db.func.count()).select_from(CohortMember)),
    )


def test_create_add_by_post_email_and_see_late_learners(
    coordinator_api: Any, make_user: Any
) -> None:
    post = create_post_for("GT")
    at_post = [make_user(roles=["learner"], ministry="GT", post=post) for _ in range(2)]
    by_email = make_user(roles=["learner"], ministry="GT")
    foreign = make_user(roles=["learner"], ministry="MX")
    cohort = new_cohort(coordinator_api, past=True)
    added = coordinator_api(
        "POST", f"/api/v1/cohorts/{cohort['id']}/members", json={"post": post.id}
    ).get_json()
    assert added == {"added": 2, "not_found": []}
    result = coordinator_api(
        "POST",
        f"/api/v1/cohorts/{cohort['id']}/members",
        json={"emails": [by_email.email.upper(), foreign.email, "nadie@example.org"]},
    ).get_json()
    assert result["added"] == 1
    assert sorted(result["not_found"]) == sorted([foreign.email, "nadie@example.org"])
    complete_program(at_post[0])
    detail = coordinator_api("GET", f"/api/v1/cohorts/{cohort['id']}").get_json()
    assert detail["members"] == 3 and detail["completed"] == 1 and detail["overdue"] == 2
    late = {m["full_name"] for m in detail["member_list"] if m["overdue"]}
    assert late == {at_post[1].full_name, by_email.full_name}


@pytest.mark.parametrize(
    "body",
    [
        {
            "name": "",
            "program": "programa-prueba",
            "starts_on": "2026-01-01",
            "deadline": "2026-02-01",
        },
        {"name": "x", "program": "nope", "starts_on": "2026-01-01", "deadline": "2026-02-01"},
        {
            "name": "x",
            "program": "programa-prueba",
            "starts_on": "2026-03-01",
            "deadline": "2026-02-01",
        },
        {"name": "x", "program": "programa-prueba", "starts_on": "ayer", "deadline": "2026-02-01"},
        {
            "name": "x",
            "program": "programa-prueba",
            "starts_on": "2026-01-01",
            "deadline": "2026-02-01",
            "ministry": "MX",
        },
    ],
)
def test_bad_cohorts_are_refused_and_nothing_is_written(coordinator_api: Any, body: Any) -> None:
    before = counts()
    response = coordinator_api("POST", "/api/v1/cohorts", json=body)
    assert response.status_code == 422
    assert counts() == before


def test_duplicate_names_conflict(coordinator_api: Any) -> None:
    new_cohort(coordinator_api)
    response = coordinator_api(
        "POST",
        "/api/v1/cohorts",
        json={
            "name": "Taller 2026",
            "program": "programa-prueba",
            "starts_on": "2026-01-01",
            "deadline": "2026-12-01",
        },
    )
    assert response.status_code == 409


def test_another_ministry_sees_and_changes_nothing(
    coordinator_api: Any, app: Any, make_user: Any, api_token: Any
) -> None:
    cohort = new_cohort(coordinator_api)
    mx_learner = make_user(roles=["learner"], ministry="MX")
    mx_post = create_post_for("MX")
    foreign = api_token(make_user(roles=["coordinator"], ministry="MX"))
    client = app.test_client()
    before = counts()
    assert client.get(f"/api/v1/cohorts/{cohort['id']}", headers=foreign).status_code == 404
    assert client.get("/api/v1/cohorts", headers=foreign).get_json()["items"] == []
    for body in ({"user_ids": [mx_learner.id]}, {"post": mx_post.id}, {"all_learners": True}):
        response = client.post(
            f"/api/v1/cohorts/{cohort['id']}/members", headers=foreign, json=body
        )
        assert response.status_code == 404
    # GT's coordinator cannot pull Mexican staff or posts into a Guatemalan cohort either.
    for body in ({"user_ids": [mx_learner.id]}, {"post": mx_post.id}):
        response = coordinator_api("POST", f"/api/v1/cohorts/{cohort['id']}/members", json=body)
        assert response.status_code == 404
    assert counts() == before


def test_learners_cannot_manage_cohorts(app: Any, learner: Any, api_token: Any) -> None:
    response = app.test_client().get("/api/v1/cohorts", headers=api_token(learner))
    assert response.status_code == 403


def test_the_dashboard_shows_the_learners_deadline(
    coordinator_api: Any, logged_in: Any, learner: Any
) -> None:
    cohort = new_cohort(coordinator_api, "Intake 2026", past=True)
    coordinator_api(
        "POST", f"/api/v1/cohorts/{cohort['id']}/members", json={"user_ids": [learner.id]}
    )
    page = logged_in(learner).get("/").get_data(as_text=True)
    assert "Intake 2026" in page and "Con retraso" in page


def test_the_cohort_pages_work_without_javascript(
    coordinator_api: Any, logged_in: Any, coordinator: Any, make_user: Any
) -> None:
    from tests.conftest import CSRF_PATTERN

    learner = make_user(roles=["learner"], ministry="GT")
    client = logged_in(coordinator)
    page = client.get("/coordination/cohorts").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    response = client.post(
        "/coordination/cohorts",
        data={
            "csrf_token": token,
            "name": "Taller de San Salvador",
            "program": "programa-prueba",
            "starts_on": "2026-06-21",
            "deadline": "2026-12-31",
        },
    )
    assert response.status_code == 302
    detail_url = response.headers["Location"]
    import io

    csv_file = (io.BytesIO(f"\ufeffemail;nombre\n{learner.email};x\n".encode()), "grupo.csv")
    client.post(
        f"{detail_url}/members",
        data={"csrf_token": token, "how": "emails", "emails_file": csv_file},
        content_type="multipart/form-data",
    )
    page = client.get(detail_url).get_data(as_text=True)
    assert learner.full_name in page


@pytest.mark.parametrize(
    ("content", "added", "message"),
    [
        ("{a}\n{b},{c}\n", 3, "3 personas añadidas"),
        ("\ufeffemail;nombre\n{a};Uno\n{b};Dos\n\n{c}\n", 3, "3 personas añadidas"),
        ('"{a}"\t"{b}"\n', 2, "2 personas añadidas"),
        ("{a}\nnadie@otro.example\n", 1, "nadie@otro.example"),
        ("\ufeff", 0, "El archivo está vacío."),
        ("{a}\x00", 0, "caracteres no permitidos"),
    ],
    ids=["list-then-csv", "excel-spanish", "quoted-tabs", "unmatched", "bom-only", "nul"],
)
def test_members_from_a_file_of_e_mails(
    coordinator_api: Any,
    logged_in: Any,
    coordinator: Any,
    make_user: Any,
    content: str,
    added: int,
    message: str,
) -> None:
    import io

    from tests.conftest import CSRF_PATTERN

    people = [make_user(roles=["learner"], ministry="GT") for _ in range(3)]
    cohort = new_cohort(coordinator_api)
    client = logged_in(coordinator)
    page = client.get(f"/coordination/cohorts/{cohort['id']}").get_data(as_text=True)
    text = content.format(a=people[0].email, b=people[1].email, c=people[2].email)

    response = client.post(
        f"/coordination/cohorts/{cohort['id']}/members",
        data={
            "csrf_token": CSRF_PATTERN.search(page).group(1),
            "how": "emails",
            "emails_file": (io.BytesIO(text.encode()), "lista.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert counts()[1] == added


def test_adding_members_by_id_looks_them_up_in_one_query(
    coordinator_api: Any, make_user: Any
) -> None:
    from sqlalchemy import event

    cohort = new_cohort(coordinator_api)

    def statements_adding(count: int) -> int:
        ids = [make_user(roles=["learner"], ministry="GT").id for _ in range(count)]
        executed: list[str] = []

        def on_statement(*args: Any) -> None:
            executed.append(args[2])

        event.listen(db.engine, "before_cursor_execute", on_statement)
        try:
            response = coordinator_api(
                "POST", f"/api/v1/cohorts/{cohort['id']}/members", json={"user_ids": ids}
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", on_statement)
        assert response.status_code == 200, response.get_json()
        return len(executed)

    assert statements_adding(30) == statements_adding(2)
    assert db.session.scalar(db.select(db.func.count()).select_from(CohortMember)) == 32


def test_one_unknown_or_foreign_id_refuses_the_whole_list(
    coordinator_api: Any, make_user: Any
) -> None:
    cohort = new_cohort(coordinator_api)
    mine = make_user(roles=["learner"], ministry="GT")
    foreign = make_user(roles=["learner"], ministry="MX")
    before = counts()
    for ids in ([mine.id, foreign.id], [mine.id, 999_999], [mine.id, 2**70]):
        response = coordinator_api(
            "POST", f"/api/v1/cohorts/{cohort['id']}/members", json={"user_ids": ids}
        )
        assert response.status_code == 404, ids
    assert counts() == before
