"""Remediation (issue 11 item 4): after a failure, a retake waits until the learner has
opened again the lessons of the objectives they missed, and for ``retake_after_hours``."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func

from tests.content_helpers import correct_answers, reopen_lessons, wrong_answers
from tests.quizzes.test_api import learner_api, start  # noqa: F401 - fixture
from tests.quizzes.test_views import token
from training.catalog.models import Module
from training.database import utcnow
from training.extensions import db
from training.progress.models import LessonView
from training.quizzes.models import Attempt


def fail_missing_two(call: Any, app: Any) -> dict[str, Any]:
    """Attempt with q01 right (objective elements, lesson 1), q02 and q03 wrong
    (smuggling, lesson 2; indicators, lesson 3)."""
    attempt = start(call)
    right = {a["question"]: a for a in correct_answers(attempt, app)}
    wrong = {a["question"]: a for a in wrong_answers(attempt, app)}
    result = call(
        "POST",
        f"/api/v1/attempts/{attempt['id']}/submission",
        json={"answers": [right["q01"], wrong["q02"], wrong["q03"]]},
    ).get_json()
    assert result["passed"] is False
    return result


def attempts_stored() -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(func.count(Attempt.id))) or 0


def refused(call: Any) -> dict[str, Any]:
    response = call("POST", "/api/v1/modules/alfa/attempts")
    assert response.status_code == 403, response.get_json()
    return response.get_json()


def test_a_retake_waits_for_the_lessons_of_the_missed_objectives(
    learner_api: Any,  # noqa: F811
    app: Any,
) -> None:
    # Lessons opened before the failure do not count.
    reopen_lessons(learner_api)
    fail_missing_two(learner_api, app)
    body = refused(learner_api)
    assert body["code"] == "review_required"
    assert body["details"]["reason"] == "review_required"
    assert [lesson["number"] for lesson in body["details"]["lessons"]] == [2, 3]
    assert body["details"]["lessons"][0] == {
        "number": 2,
        "title": "Lección 2",
        "url": "/modules/alfa/lessons/2",
    }
    assert "Lección 2, Lección 3" in body["message"]
    assert attempts_stored() == 1
    # Lesson 1 teaches an objective that was not missed: opening it changes nothing.
    learner_api("GET", "/api/v1/modules/alfa/lessons/1")
    learner_api("GET", "/api/v1/modules/alfa/lessons/2")
    body = refused(learner_api)
    assert [lesson["number"] for lesson in body["details"]["lessons"]] == [3]
    assert attempts_stored() == 1
    # Marking a lesson read (it was read already) opens it too.
    assert learner_api("POST", "/api/v1/modules/alfa/lessons/3/read").status_code == 200
    response = learner_api("POST", "/api/v1/modules/alfa/attempts")
    assert response.status_code == 201
    assert response.get_json()["status"] == "in_progress"


def test_the_module_page_lists_the_lessons_to_reopen_and_opening_them_on_the_page_counts(
    app: Any, logged_in: Any, learner: Any, api_token: Any, synced_content: Any
) -> None:
    client = logged_in(learner)
    headers = api_token(learner)
    api = app.test_client()

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return api.open(path, method=method, headers=headers, **kwargs)

    fail_missing_two(call, app)
    page = client.get("/modules/alfa").get_data(as_text=True)
    assert "abra de nuevo las lecciones de los objetivos que no alcanzó" in page
    assert '<a href="/modules/alfa/lessons/2">Lección 2</a>' in page
    assert '<a href="/modules/alfa/lessons/3">Lección 3</a>' in page
    assert "Empezar el cuestionario" not in page
    # Starting anyway (an old form, another tab) is refused with the same explanation.
    response = client.post("/modules/alfa/attempts", data={"csrf_token": token(page)})
    assert response.status_code == 403
    error_page = response.get_data(as_text=True)
    assert '<a href="/modules/alfa/lessons/3">Lección 3</a>' in error_page
    assert attempts_stored() == 1
    for number in (2, 3):
        assert client.get(f"/modules/alfa/lessons/{number}").status_code == 200
    page = client.get("/modules/alfa").get_data(as_text=True)
    assert "Empezar el cuestionario" in page and "retake-hold" not in page
    response = client.post("/modules/alfa/attempts", data={"csrf_token": token(page)})
    assert response.status_code == 302
    assert attempts_stored() == 2


def test_without_retake_requires_review_a_retake_is_immediate(
    learner_api: Any,  # noqa: F811
    app: Any,
    synced_content: dict[str, Module],
) -> None:
    synced_content["alfa"].current_version.retake_requires_review = False
    db.session.commit()
    fail_missing_two(learner_api, app)
    assert learner_api("POST", "/api/v1/modules/alfa/attempts").status_code == 201


def test_retake_after_hours_makes_the_learner_wait(
    learner_api: Any,  # noqa: F811
    app: Any,
    synced_content: dict[str, Module],
    logged_in: Any,
    learner: Any,
) -> None:
    version = synced_content["alfa"].current_version
    version.retake_after_hours = 2
    db.session.commit()
    result = fail_missing_two(learner_api, app)
    reopen_lessons(learner_api)
    body = refused(learner_api)
    assert body["code"] == "retake_wait"
    row = db.session.get(Attempt, result["id"])
    expected = row.submitted_at + timedelta(hours=2)
    assert body["details"] == {
        "reason": "retake_wait",
        "retry_at": expected.isoformat().replace("+00:00", "Z"),
    }
    assert expected.strftime("%Y-%m-%d %H:%M") in body["message"]
    page = logged_in(learner).get("/modules/alfa").get_data(as_text=True)
    assert "Podrá volver a intentarlo a partir del" in page
    assert attempts_stored() == 1
    # Two hours later (the lessons were reopened after the failure).
    row.submitted_at = utcnow() - timedelta(hours=2, seconds=1)
    db.session.commit()
    assert learner_api("POST", "/api/v1/modules/alfa/attempts").status_code == 201


def test_a_coordinators_grant_gives_an_attempt_not_a_way_round_the_review(
    learner_api: Any,  # noqa: F811
    app: Any,
    learner: Any,
    coordinator: Any,
    api_token: Any,
) -> None:
    for number in (1, 2, 3):
        fail_missing_two(learner_api, app)
        if number < 3:
            reopen_lessons(learner_api)
    assert refused(learner_api)["details"]["reason"] == "no_attempts_left"
    response = app.test_client().post(
        f"/api/v1/staff/{learner.id}/attempt-grants",
        headers=api_token(coordinator),
        json={"module": "alfa", "reason": "Problema de conexión"},
    )
    assert response.status_code == 201
    assert refused(learner_api)["code"] == "review_required"
    reopen_lessons(learner_api)
    assert learner_api("POST", "/api/v1/modules/alfa/attempts").status_code == 201


def test_a_retake_after_a_pass_is_not_held(
    learner_api: Any,  # noqa: F811
    app: Any,
) -> None:
    attempt = start(learner_api)
    learner_api(
        "POST",
        f"/api/v1/attempts/{attempt['id']}/submission",
        json={"answers": correct_answers(attempt, app)},
    )
    assert learner_api("POST", "/api/v1/modules/alfa/attempts").status_code == 201


def test_a_failure_on_questions_loaded_before_objectives_asks_for_no_lesson(
    learner_api: Any,  # noqa: F811
    app: Any,
    synced_content: dict[str, Module],
) -> None:
    """History stays true: questions stored before issue 11 have no objective, so there is
    no lesson to send the learner to, and the retake is not held."""
    for question in synced_content["alfa"].current_version.questions:
        question.objective = None
    db.session.commit()
    attempt = start(learner_api)
    result = learner_api(
        "POST",
        f"/api/v1/attempts/{attempt['id']}/submission",
        json={"answers": wrong_answers(attempt, app)},
    ).get_json()
    assert result["objectives"] == []
    assert all(question["lesson"] is None for question in result["questions"])
    assert learner_api("POST", "/api/v1/modules/alfa/attempts").status_code == 201


def test_deciding_a_hold_takes_two_queries(
    app: Any,
    learner_api: Any,  # noqa: F811
    learner: Any,
    queries: Any,
) -> None:
    from training.catalog import cache
    from training.progress import modules, remediation

    fail_missing_two(learner_api, app)
    with app.test_request_context("/modules/alfa"):
        view = modules.module_view(learner, "alfa")
        cache.lessons(view.version)  # the lessons, as any page of the module left them
        with queries() as recorded:
            waiting = remediation.hold(learner, view)
        assert waiting is not None and [x["number"] for x in waiting.lessons] == [2, 3]
    assert len(recorded) == 2


def test_simultaneous_first_openings_of_a_lesson_keep_one_row(
    app: Any, learner: Any, api_token: Any, synced_content: Any
) -> None:
    headers = api_token(learner)
    barrier = threading.Barrier(4, timeout=30)
    statuses: list[int] = [0] * 4

    def open_lesson(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        statuses[index] = client.get("/api/v1/modules/alfa/lessons/2", headers=headers).status_code

    threads = [threading.Thread(target=open_lesson, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    db.session.expire_all()
    assert db.session.scalar(db.select(func.count(LessonView.id))) == 1


@pytest.mark.parametrize("path", ["/api/v1/modules/alfa/lessons/9", "/modules/alfa/lessons/x"])
def test_opening_a_lesson_that_does_not_exist_records_nothing(
    app: Any, logged_in: Any, learner: Any, api_token: Any, synced_content: Any, path: str
) -> None:
    if path.startswith("/api/"):
        response = app.test_client().get(path, headers=api_token(learner))
    else:
        response = logged_in(learner).get(path)
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(db.select(func.count(LessonView.id))) == 0
