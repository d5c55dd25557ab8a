"""One unit of work per request and per command (training.unit_of_work): the edge commits
a request that succeeds, rolls back one that raises or answers an error, and only the
records that must survive a failure are kept from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
import pytest
from flask import Flask, Response, request_finished, request_started, stream_with_context
from sqlalchemy import event, func, select, text

from tests.content_helpers import synced_content  # noqa: F401
from tests.helpers import audit_events, fresh, post_form
from training import unit_of_work
from training.accounts.models import ApiToken
from training.audit import services as audit
from training.cli_support import domain_errors_exit
from training.errors import Conflict, Forbidden
from training.extensions import db
from training.ministries.models import Post


def add_post(name: str) -> Post:
    """A row written the way a service writes: added and flushed, never committed."""
    ministry_id = db.session.scalar(text("SELECT id FROM ministry WHERE code = 'GT'"))
    post = Post(
        ministry_id=ministry_id, kind="consulate", name=name, city="Tapachula", country="MX"
    )
    db.session.add(post)
    db.session.flush()
    return post


def stored_posts() -> list[str]:
    fresh()
    return list(db.session.scalars(select(Post.name).order_by(Post.id)))


def committed_posts_seen_elsewhere() -> int:
    """What another connection sees: only committed rows."""
    with db.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Post)) or 0)


@pytest.fixture
def routes(app: Flask, ministries: Any) -> Flask:
    """Test-only views that write a post and then end in the way their name says."""

    def succeeds() -> tuple[str, int]:
        add_post("succeeds")
        return "ok", 201

    def raises() -> str:
        add_post("raises")
        raise RuntimeError("the handler failed after writing")

    def answers_409() -> tuple[str, int]:
        add_post("answers 409")
        return "refused", 409

    def raises_conflict() -> str:
        add_post("raises conflict")
        raise Conflict("no")

    def refused_but_audited() -> str:
        add_post("refused")
        audit.record_surviving("test.refused", details={"why": "a test"})
        raise Forbidden()

    def streams() -> Response:
        add_post("streamed")

        def body() -> Iterator[str]:
            # The body streams after the view returned: the row must be committed by now.
            yield f"committed={committed_posts_seen_elsewhere()}\n"
            yield "done\n"

        return Response(stream_with_context(body()), mimetype="text/plain")

    for view in (succeeds, raises, answers_409, raises_conflict, refused_but_audited, streams):
        # GET: no CSRF token to fetch first; under /api/: errors in the JSON envelope.
        app.add_url_rule(f"/api/_uow/{view.__name__}", view.__name__, view)
    return app


# --- Requests ---------------------------------------------------------------------------


def test_a_request_that_succeeds_is_committed(routes: Flask, client: Any) -> None:
    assert client.get("/api/_uow/succeeds").status_code == 201

    assert stored_posts() == ["succeeds"]


def test_a_handler_that_raises_after_writing_leaves_nothing_stored(
    routes: Flask, client: Any
) -> None:
    response = client.get("/api/_uow/raises")

    assert response.status_code == 500
    assert stored_posts() == []


@pytest.mark.parametrize("path", ["/api/_uow/answers_409", "/api/_uow/raises_conflict"])
def test_a_4xx_answer_leaves_nothing_stored(routes: Flask, client: Any, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 409
    assert stored_posts() == []


def test_errors_are_still_answered_by_the_error_handlers(routes: Flask, client: Any) -> None:
    conflict = client.get("/api/_uow/raises_conflict")
    crash = client.get("/api/_uow/raises")

    assert conflict.get_json() == {"code": "conflict", "message": "no", "details": {}}
    assert crash.get_json()["code"] == "server_error"


def test_a_refusal_s_audit_record_survives_but_nothing_else(routes: Flask, client: Any) -> None:
    response = client.get("/api/_uow/refused_but_audited")

    assert response.status_code == 403
    assert stored_posts() == []
    (event_,) = audit_events("test.refused")
    assert event_.details == {"why": "a test"}


def test_a_refused_sign_in_is_audited_on_the_page_and_the_api(client: Any, learner: Any) -> None:
    page = post_form(client, "/login", {"email": learner.email, "password": "not the password"})
    api = client.post(
        "/api/v1/auth/tokens", json={"email": learner.email, "password": "not the password"}
    )

    assert page.status_code != 302 and api.status_code == 401
    events = audit_events("auth.login_failed")
    assert [event_.target_id for event_ in events] == [str(learner.id)] * 2


def test_a_streamed_response_is_committed_before_it_streams(routes: Flask, client: Any) -> None:
    response = client.get("/api/_uow/streams")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "committed=1\ndone\n"


@pytest.mark.usefixtures("synced_content")
def test_an_expired_attempt_s_closing_survives_the_409_that_refuses_it(
    app: Flask, learner: Any, api_token: Any
) -> None:
    from datetime import timedelta

    from training.database import utcnow
    from training.quizzes.models import Attempt

    headers = api_token(learner)
    api = app.test_client()
    attempt = api.post("/api/v1/modules/alfa/attempts", headers=headers).get_json()
    db.session.execute(
        db.update(Attempt)
        .where(Attempt.id == attempt["id"])
        .values(expires_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()

    response = api.post(
        f"/api/v1/attempts/{attempt['id']}/submission", headers=headers, json={"answers": []}
    )

    assert response.status_code == 409
    assert response.get_json()["code"] == "attempt_expired"
    fresh()  # read what is stored, without a request that could close it again
    stored = db.session.get(Attempt, attempt["id"])
    assert (stored.status, stored.score) == ("expired", 0)


# --- The bearer token's last use ---------------------------------------------------------


@pytest.fixture
def commits(app: Flask) -> Iterator[list[str]]:
    """Every COMMIT sent to the database, named after when it happened: ``"response"``
    while the request is being answered, ``"after"`` once its response is ready."""
    seen: list[str] = []
    phase = ["response"]

    def on_commit(connection: Any) -> None:
        seen.append(phase[0])

    def on_started(sender: Any, **extra: Any) -> None:
        phase[0] = "response"

    def on_finished(sender: Any, response: Any, **extra: Any) -> None:
        phase[0] = "after"

    event.listen(db.engine, "commit", on_commit)
    request_started.connect(on_started, app)
    request_finished.connect(on_finished, app)
    try:
        yield seen
    finally:
        request_finished.disconnect(on_finished, app)
        request_started.disconnect(on_started, app)
        event.remove(db.engine, "commit", on_commit)


def last_used(token_id: int) -> Any:
    fresh()
    return db.session.get(ApiToken, token_id).last_used_at


def test_a_bearer_request_commits_nothing_after_its_response(
    client: Any, learner: Any, api_token: Any, commits: list[str], queries: Any
) -> None:
    headers = api_token(learner)
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == learner.id))
    commits.clear()

    with queries(frozenset({"UPDATE"})) as updates:
        assert client.get("/api/v1/me", headers=headers).status_code == 200

    # The request's own commit and the stamp of the token's first use, both before the
    # response was ready; the stamp is one guarded UPDATE.
    assert commits == ["response", "response"]
    (update,) = updates
    assert "api_token" in update and "last_used_at IS NULL OR" in update
    assert last_used(token_id) is not None

    commits.clear()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert commits == ["response"]  # used a moment ago: no stamp, one transaction


def test_a_failed_bearer_request_still_stamps_the_token_once(
    client: Any, learner: Any, api_token: Any, commits: list[str]
) -> None:
    headers = api_token(learner)
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == learner.id))
    commits.clear()

    assert client.get("/api/v1/attempts/999999", headers=headers).status_code == 404

    assert "after" not in commits
    assert last_used(token_id) is not None


# --- Commands ---------------------------------------------------------------------------


@pytest.fixture
def commands(app: Flask, ministries: Any) -> Flask:
    @click.command("uow-writes")
    @click.option("--fail", is_flag=True)
    @domain_errors_exit
    @unit_of_work.transactional
    def writes(fail: bool) -> None:
        add_post("first")
        audit.record_surviving("test.command_refused")
        add_post("second")
        if fail:
            raise Conflict("stopped midway")
        click.echo("written")

    @click.command("uow-crashes")
    @unit_of_work.transactional
    def crashes() -> None:
        add_post("before the crash")
        raise SystemExit(1)

    app.cli.add_command(writes)
    app.cli.add_command(crashes)
    return app


def test_a_command_that_succeeds_is_committed(commands: Flask, runner: Any) -> None:
    result = runner.invoke(args=["uow-writes"])

    assert result.exit_code == 0, result.output
    assert stored_posts() == ["first", "second"]
    assert committed_posts_seen_elsewhere() == 2


def test_a_command_that_fails_midway_stores_nothing_but_its_surviving_records(
    commands: Flask, runner: Any
) -> None:
    result = runner.invoke(args=["uow-writes", "--fail"])

    assert result.exit_code == 1
    assert "stopped midway" in result.output
    assert stored_posts() == []
    assert len(audit_events("test.command_refused")) == 1


def test_a_command_that_exits_midway_stores_nothing(commands: Flask, runner: Any) -> None:
    result = runner.invoke(args=["uow-crashes"])

    assert result.exit_code == 1
    assert stored_posts() == []


# --- Outside a unit of work ---------------------------------------------------------------


def test_outside_a_unit_of_work_a_surviving_record_outlives_the_caller_s_rollback(
    ministries: Any,
) -> None:
    add_post("rolled back")
    audit.record_surviving("test.outside")

    db.session.rollback()

    assert stored_posts() == []
    assert len(audit_events("test.outside")) == 1
