"""Conditional requests for lessons and the job aid (issue 13 item 1): a consul on a slow
connection does not download again a lesson they already have, and a 304 never hides a
change they would see."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.conftest import VALID
from tests.conftest import csrf_token, login
from tests.content_helpers import (
    synced_content,  # noqa: F401 - fixture
    wrong_answers,
)
from training.catalog import services as catalog
from training.extensions import db
from training.progress.models import LessonView
from training.quizzes.models import Attempt

LESSON_API = "/api/v1/modules/alfa/lessons/1"
LESSON_PAGE = "/modules/alfa/lessons/1"
JOB_AID = "/modules/alfa/job-aid"


@pytest.fixture
def api(app: Any, learner: Any, api_token: Any, synced_content: Any) -> Any:  # noqa: F811
    client = app.test_client()
    client.environ_base.update({"HTTP_AUTHORIZATION": api_token(learner)["Authorization"]})
    return client


@pytest.fixture
def browser(logged_in: Any, learner: Any, synced_content: Any) -> Any:  # noqa: F811
    return logged_in(learner)


def revalidate(
    client: Any, path: str, tag: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> Any:
    return client.get(path, headers={**(headers or {}), "If-None-Match": tag}, **kwargs)


def assert_cacheable(response: Any) -> str:
    assert response.status_code == 200
    tag = response.headers["ETag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert {"Cookie", "Authorization", "Accept-Language"} <= set(response.vary)
    return tag


@pytest.mark.parametrize("path", [LESSON_API, LESSON_PAGE, JOB_AID])
def test_the_same_request_again_gets_304_without_a_body(
    request: pytest.FixtureRequest, path: str
) -> None:
    client = request.getfixturevalue("api" if path.startswith("/api/") else "browser")
    first = client.get(path)
    tag = assert_cacheable(first)
    assert first.get_data()
    again = revalidate(client, path, tag)
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == "private, no-cache"
    # An old or foreign tag gets the whole body.
    other = revalidate(client, path, '"not-this-one"')
    assert other.status_code == 200 and other.get_data() == first.get_data()


@pytest.mark.parametrize("path", [LESSON_API, LESSON_PAGE, JOB_AID])
def test_another_language_gets_the_body_in_that_language(
    request: pytest.FixtureRequest, path: str
) -> None:
    client = request.getfixturevalue("api" if path.startswith("/api/") else "browser")
    tag = assert_cacheable(client.get(path))
    english = revalidate(client, path, tag, query_string={"lang": "en"})
    assert english.status_code == 200
    assert english.headers["ETag"] != tag
    assert (
        revalidate(client, path, english.headers["ETag"], query_string={"lang": "en"}).status_code
        == 304
    )


@pytest.mark.parametrize("path", [LESSON_API, LESSON_PAGE])
def test_reading_the_lesson_changes_the_tag(request: pytest.FixtureRequest, path: str) -> None:
    if path == LESSON_API:
        client = request.getfixturevalue("api")
        tag = assert_cacheable(client.get(path))
        assert client.post(f"{path}/read").status_code == 200
    else:
        client = request.getfixturevalue("browser")
        tag = assert_cacheable(client.get(path))
        marked = client.post(f"{path}/read", data={"csrf_token": csrf_token(client, path)})
        assert marked.status_code == 302
    again = revalidate(client, path, tag)
    assert again.status_code == 200
    assert again.headers["ETag"] != tag
    if path == LESSON_API:
        assert again.get_json()["read"] is True
    else:
        assert "Lección leída" in again.get_data(as_text=True)


def test_another_user_does_not_get_a_304(
    app: Any, api: Any, other_learner: Any, api_token: Any
) -> None:
    tag = assert_cacheable(api.get(LESSON_API))
    other = app.test_client()
    response = revalidate(other, LESSON_API, tag, headers=api_token(other_learner))
    assert response.status_code == 200
    assert response.headers["ETag"] != tag


def test_another_user_on_the_same_browser_does_not_get_a_304(
    app: Any, browser: Any, other_learner: Any
) -> None:
    tag = assert_cacheable(browser.get(LESSON_PAGE))
    browser.post("/logout", data={"csrf_token": csrf_token(browser, LESSON_PAGE)})
    assert login(browser, other_learner).status_code == 302
    response = revalidate(browser, LESSON_PAGE, tag)
    assert response.status_code == 200
    assert response.headers["ETag"] != tag


def publish_new_version(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    lesson = content / "01-alfa" / "lessons" / "01-leccion.es.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nNuevo párrafo.\n", encoding="utf-8")
    catalog.sync(content, item_checks="skip")
    db.session.commit()


def test_a_new_version_of_the_module_gets_the_new_body(api: Any, tmp_path: Path) -> None:
    tag = assert_cacheable(api.get(LESSON_API))
    publish_new_version(tmp_path)
    response = revalidate(api, LESSON_API, tag)
    assert response.status_code == 200
    assert response.headers["ETag"] != tag
    assert "Nuevo párrafo." in response.get_json()["html"]


def test_a_learner_who_started_the_module_keeps_their_version_and_their_copy(
    api: Any, tmp_path: Path
) -> None:
    assert api.post(f"{LESSON_API}/read").status_code == 200
    first = api.get(LESSON_API)
    tag = assert_cacheable(first)
    publish_new_version(tmp_path)
    assert revalidate(api, LESSON_API, tag).status_code == 304
    assert "Nuevo párrafo." not in api.get(LESSON_API).get_json()["html"]


def test_a_flashed_message_is_shown_not_hidden_by_a_304(browser: Any) -> None:
    tag = assert_cacheable(browser.get(LESSON_PAGE))
    with browser.session_transaction() as session:
        session["_flashes"] = [("info", "Aviso de prueba")]
    response = revalidate(browser, LESSON_PAGE, tag)
    assert response.status_code == 200
    assert "Aviso de prueba" in response.get_data(as_text=True)
    assert "ETag" not in response.headers


def openings(learner: Any) -> list[Any]:
    db.session.expire_all()
    return list(
        db.session.scalars(db.select(LessonView.opened_at).where(LessonView.user_id == learner.id))
    )


@pytest.mark.parametrize("path", [LESSON_API, LESSON_PAGE])
def test_a_304_still_records_the_opening(
    request: pytest.FixtureRequest, app: Any, learner: Any, api: Any, path: str
) -> None:
    client = request.getfixturevalue("api" if path.startswith("/api/") else "browser")
    tag = assert_cacheable(client.get(path))
    [first] = openings(learner)
    # Opening it again before any attempt changes nothing remediation asks about.
    assert revalidate(client, path, tag).status_code == 304
    assert openings(learner) == [first]
    # After a failed attempt, a 304 counts as opening the lesson again.
    attempt = api.post("/api/v1/modules/alfa/attempts").get_json()
    api.post(
        f"/api/v1/attempts/{attempt['id']}/submission",
        json={"answers": wrong_answers(attempt, app)},
    )
    submitted = db.session.scalar(
        db.select(Attempt.submitted_at).where(Attempt.id == attempt["id"])
    )
    assert submitted is not None and first <= submitted
    assert revalidate(client, path, tag).status_code == 304
    [second] = openings(learner)
    assert second > submitted


@pytest.mark.parametrize("path", [LESSON_API, LESSON_PAGE, JOB_AID])
def test_a_304_costs_no_more_queries_than_a_200(
    request: pytest.FixtureRequest, queries: Any, path: str
) -> None:
    client = request.getfixturevalue("api" if path.startswith("/api/") else "browser")
    client.get(path)  # the session and the token settle
    with queries() as full:
        tag = assert_cacheable(client.get(path))
    with queries() as conditional:
        assert revalidate(client, path, tag).status_code == 304
    assert len(conditional) <= len(full), (len(conditional), len(full))
