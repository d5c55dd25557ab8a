"""Progress: reading, completing modules and the program, version pinning, xAPI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.catalog.conftest import VALID
from tests.content_helpers import correct_answers, reopen_lessons, wrong_answers
from training import signals
from training.catalog import services as catalog
from training.extensions import db
from training.progress import services as progress
from training.progress.models import LearningEvent, ProgramCompletion


@pytest.fixture
def learner_api(app: Any, learner: Any, api_token: Any, synced_content: Any) -> Any:
    headers = api_token(learner)
    client = app.test_client()

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def complete(call: Any, app: Any, slug: str, *, lessons: int = 3, fail_first: bool = False) -> None:
    for number in range(1, lessons + 1):
        assert call("POST", f"/api/v1/modules/{slug}/lessons/{number}/read").status_code == 200
    attempt = call("POST", f"/api/v1/modules/{slug}/attempts").get_json()
    if fail_first:
        call(
            "POST",
            f"/api/v1/attempts/{attempt['id']}/submission",
            json={"answers": wrong_answers(attempt, app)},
        )
        reopen_lessons(call, slug)
        attempt = call("POST", f"/api/v1/modules/{slug}/attempts").get_json()
    result = call(
        "POST",
        f"/api/v1/attempts/{attempt['id']}/submission",
        json={"answers": correct_answers(attempt, app)},
    )
    assert result.get_json()["passed"] is True


def test_reading_is_idempotent_and_shows_in_the_module(learner_api: Any) -> None:
    for _ in range(2):
        response = learner_api("POST", "/api/v1/modules/alfa/lessons/1/read")
        assert response.status_code == 200 and response.get_json()["read"] is True
    detail = learner_api("GET", "/api/v1/modules/alfa").get_json()
    assert [lesson["read"] for lesson in detail["lessons"]] == [True, False, False]
    assert detail["status"] == "in_progress"
    experienced = db.session.scalars(
        db.select(LearningEvent).where(LearningEvent.verb == "experienced")
    ).all()
    assert len(experienced) == 1


def test_passing_without_reading_is_not_completing(learner_api: Any, app: Any) -> None:
    complete(learner_api, app, "alfa", lessons=0)
    modules = {
        m["slug"]: m for m in learner_api("GET", "/api/v1/me/progress").get_json()["modules"]
    }
    assert modules["alfa"]["status"] == "in_progress"
    for number in (1, 2, 3):
        learner_api("POST", f"/api/v1/modules/alfa/lessons/{number}/read")
    modules = {
        m["slug"]: m for m in learner_api("GET", "/api/v1/me/progress").get_json()["modules"]
    }
    assert modules["alfa"]["status"] == "completed"
    assert modules["alfa"]["completed_at"].endswith("Z")


def test_completing_every_module_completes_the_program_once(learner_api: Any, app: Any) -> None:
    received: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs["program"].slug)

    signals.program_completed.connect(receiver)
    try:
        complete(learner_api, app, "alfa", fail_first=True)
        assert learner_api("GET", "/api/v1/modules/beta").get_json()["locked"] is False
        complete(learner_api, app, "beta")
    finally:
        signals.program_completed.disconnect(receiver)
    body = learner_api("GET", "/api/v1/me/progress").get_json()
    assert body["program"]["completed"] is True
    assert body["program"]["modules_completed"] == 2
    assert received == ["programa-prueba"]
    assert db.session.scalar(db.select(db.func.count(ProgramCompletion.id))) == 1


def test_a_learner_keeps_the_version_they_started(
    learner_api: Any, app: Any, tmp_path: Path
) -> None:
    import shutil

    learner_api("POST", "/api/v1/modules/alfa/lessons/1/read")
    started = learner_api("GET", "/api/v1/modules/alfa").get_json()["version"]
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    lesson = content / "01-alfa" / "lessons" / "01-leccion.es.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nNuevo.\n", encoding="utf-8")
    catalog.sync(content, item_checks="skip")
    db.session.commit()
    assert learner_api("GET", "/api/v1/modules/alfa").get_json()["version"] == started
    attempt = learner_api("POST", "/api/v1/modules/alfa/attempts").get_json()
    from training.quizzes.models import Attempt

    assert db.session.get(Attempt, attempt["id"]).module_version.number == started


def test_statements_are_xapi_without_email(learner_api: Any, app: Any, learner: Any) -> None:
    complete(learner_api, app, "alfa", fail_first=True)
    body = learner_api("GET", "/api/v1/me/statements").get_json()
    verbs = [item["verb"]["display"]["en-US"] for item in body["items"]]
    assert verbs.count("experienced") == 3
    assert verbs.count("launched") == 2
    assert {"answered", "failed", "passed", "completed"} <= set(verbs)
    assert body["total"] == len(body["items"])
    for item in body["items"]:
        assert item["version"] == "1.0.3"
        assert item["verb"]["id"].startswith("http://adlnet.gov/expapi/verbs/")
        assert item["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": "https://aula.example.org", "name": str(learner.id)},
        }
        assert item["object"]["id"].startswith("https://aula.example.org/modules/alfa")
        assert item["timestamp"].endswith("Z")
        assert learner.email not in str(item)
    passed = next(item for item in body["items"] if item["verb"]["display"]["en-US"] == "passed")
    assert passed["result"]["success"] is True
    assert passed["result"]["score"] == {"scaled": 1.0, "raw": 100, "min": 0, "max": 100}


def test_statements_are_paginated(learner_api: Any) -> None:
    for number in (1, 2, 3):
        learner_api("POST", f"/api/v1/modules/alfa/lessons/{number}/read")
    page = learner_api("GET", "/api/v1/me/statements?per_page=2&page=2").get_json()
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    assert learner_api("GET", "/api/v1/me/statements?per_page=0").status_code == 422


def test_the_next_step_is_the_first_unlocked_unfinished_module(
    app: Any, learner: Any, synced_content: Any
) -> None:
    view = progress.program_view(learner)
    assert view.next_step().slug == "alfa"
    assert [module.locked for module in view.modules] == [False, True]
