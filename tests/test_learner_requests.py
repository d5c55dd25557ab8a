"""Learner requests cost at most three SQL queries, authentication included (issue 13
item 1), and what makes them cheap never serves a stale answer: a revoked token, an ended
session or a removed role is refused on the very next request, and a new module version
is served as soon as it is synced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.catalog.conftest import SHIPPED, VALID
from tests.conftest import PASSWORD, csrf_token, login
from tests.content_helpers import synced_content  # noqa: F401 - fixture
from tests.factories import create_user
from tests.progress.test_http_caching import publish_new_version
from training.accounts import users
from training.catalog import cache
from training.catalog import services as catalog
from training.extensions import db

MAX_QUERIES = 3

API = [
    "/api/v1/modules",
    "/api/v1/modules/conceptos",
    "/api/v1/modules/conceptos/lessons/2",
    "/api/v1/me/progress",
    "/api/v1/me",
]
PAGES = [
    "/modules",
    "/modules/conceptos",
    "/modules/conceptos/lessons/2",
    "/modules/conceptos/job-aid",
]


@pytest.fixture
def reader(app: Any, ministries: Any) -> Any:
    """A learner on the shipped curriculum who has read two lessons of the first module
    and passed nothing yet."""
    catalog.sync(SHIPPED, item_checks="error")
    db.session.commit()
    person = create_user(roles=["learner"])
    client = app.test_client()
    login(client, person)
    for number in (1, 2):
        client.post(
            f"/modules/conceptos/lessons/{number}/read", data={"csrf_token": csrf_token(client)}
        )
    return person


def bearer(app: Any, person: Any) -> Any:
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/tokens", json={"email": person.email, "password": PASSWORD}
    ).get_json()["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    client.get("/api/v1/me")  # the token's first use is stamped (once a minute at most)
    return client


@pytest.mark.parametrize("path", API)
def test_api_requests_with_a_token_run_at_most_three_queries(
    app: Any, reader: Any, count_queries: Any, path: str
) -> None:
    client = bearer(app, reader)
    client.get(path)  # the content of the version is now in memory
    assert count_queries(client, path) <= MAX_QUERIES


@pytest.mark.parametrize("path", API + PAGES)
def test_requests_with_a_session_run_at_most_three_queries(
    app: Any, reader: Any, count_queries: Any, path: str
) -> None:
    client = app.test_client()
    login(client, reader)
    client.get(path)
    assert count_queries(client, path) <= MAX_QUERIES


def test_the_lesson_api_reads_the_lessons_once_per_process(
    app: Any, reader: Any, queries: Any
) -> None:
    client = bearer(app, reader)
    cache.versions.clear()  # as in a worker that just started
    with queries() as first:
        assert client.get("/api/v1/modules/conceptos/lessons/3").status_code == 200
    with queries() as again:
        assert client.get("/api/v1/modules/conceptos/lessons/4").status_code == 200
    assert len(again) == len(first) - 1
    assert not any("FROM lesson \nWHERE" in statement for statement in again)


def test_a_revoked_token_is_refused_on_the_next_request(app: Any, reader: Any) -> None:
    client = bearer(app, reader)
    assert client.get("/api/v1/modules").status_code == 200
    assert client.delete("/api/v1/auth/tokens/current").status_code == 204
    assert client.get("/api/v1/modules").status_code == 401


def test_a_deactivated_learners_token_is_refused_on_the_next_request(
    app: Any, reader: Any, make_user: Any
) -> None:
    client = bearer(app, reader)
    assert client.get("/api/v1/modules").status_code == 200
    users.deactivate(reader, actor=make_user(roles=["admin"]))
    db.session.commit()
    assert client.get("/api/v1/modules").status_code == 401


def test_an_ended_session_is_refused_on_the_next_request(app: Any, reader: Any) -> None:
    client = app.test_client()
    login(client, reader)
    copy = app.test_client()
    with client.session_transaction() as session:
        kept = dict(session)
    with copy.session_transaction() as session:
        session.update(kept)
    assert copy.get("/modules").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    # The copy of the cookie is refused too: the session ended on the server.
    assert copy.get("/modules").status_code == 302
    assert copy.get("/api/v1/modules").status_code == 401


@pytest.mark.parametrize("by", ["token", "session"])
def test_a_removed_role_takes_effect_on_the_next_request(
    app: Any, ministries: Any, make_user: Any, by: str
) -> None:
    person = make_user(roles=["learner", "coordinator"])
    if by == "token":
        client = bearer(app, person)
    else:
        client = app.test_client()
        login(client, person)
    assert client.get("/api/v1/staff").status_code == 200
    users.set_roles(person, ["learner"], actor=make_user(roles=["admin"]))
    db.session.commit()
    assert client.get("/api/v1/staff").status_code == 403
    assert client.get("/api/v1/modules").status_code == 200


def test_a_new_version_is_served_after_sync_to_a_learner_who_has_not_started(
    app: Any,
    ministries: Any,
    synced_content: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    person = create_user(roles=["learner"])
    client = bearer(app, person)
    version = client.get("/api/v1/modules/alfa").get_json()["version"]
    assert "Nuevo párrafo." not in client.get("/api/v1/modules/alfa/lessons/1").get_json()["html"]
    page = app.test_client()
    login(page, person)
    assert "Nuevo párrafo." not in page.get("/modules/alfa/lessons/1").get_data(as_text=True)
    publish_new_version(tmp_path)
    assert client.get("/api/v1/modules/alfa").get_json()["version"] == version + 1
    assert "Nuevo párrafo." in client.get("/api/v1/modules/alfa/lessons/1").get_json()["html"]
    assert "Nuevo párrafo." in page.get("/modules/alfa/lessons/1").get_data(as_text=True)


def test_the_content_cache_is_bounded_and_keyed_by_content(app: Any, ministries: Any) -> None:
    catalog.sync(VALID, item_checks="skip")
    db.session.commit()
    from training.catalog.models import ModuleVersion

    versions = list(db.session.scalars(db.select(ModuleVersion)))
    assert len(versions) >= 2
    small = cache.VersionCache(size=1)
    first = small.lessons(versions[0].id, versions[0].content_hash)
    assert [lesson.module_version_id for lesson in first] == [versions[0].id] * len(first)
    assert small.lessons(versions[0].id, versions[0].content_hash) is first
    small.lessons(versions[1].id, versions[1].content_hash)
    assert len(small) == 1
    # Another content under the same id (a database rebuilt) is another entry.
    assert small.lessons(versions[1].id, "another-hash") is not small.lessons(
        versions[1].id, versions[1].content_hash
    )


def test_the_dashboard_runs_at_most_five_queries(app: Any, reader: Any, count_queries: Any) -> None:
    """Not yet three: besides the session, the program and the modules, the dashboard
    reads the learner's cohort deadlines and the external courses of their ministry (with
    their completions), two queries of other domains."""
    client = app.test_client()
    login(client, reader)
    client.get("/")
    assert count_queries(client, "/") <= 5
