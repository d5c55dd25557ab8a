"""Learner pages run a number of SQL queries that does not grow with the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.catalog.conftest import SHIPPED, VALID
from tests.conftest import login
from tests.content_helpers import reopen_lessons, wrong_answers
from tests.factories import create_user
from training.catalog import services as catalog
from training.extensions import db


def build(app: Any, content: Path, slug: str, *, attempts: int, others: int) -> Any:
    """A learner with ``attempts`` graded attempts on ``slug`` and every lesson read, plus
    ``others`` learners with their own progress; returns a signed-in client and the last
    attempt's id."""
    # The shipped banks pass every check as errors; the small
    # engine fixture is below that bar on purpose.
    catalog.sync(content, item_checks="error" if content == SHIPPED else "skip")
    db.session.commit()
    api = app.test_client()
    learners = [create_user(roles=["learner"]) for _ in range(others + 1)]
    last = None
    for person in learners:
        token = api.post(
            "/api/v1/auth/tokens",
            json={"email": person.email, "password": "correct horse battery staple"},
        ).get_json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        for number in (1, 2, 3):
            api.post(f"/api/v1/modules/{slug}/lessons/{number}/read", headers=headers)
        for _ in range(attempts):
            attempt = api.post(f"/api/v1/modules/{slug}/attempts", headers=headers).get_json()
            api.post(
                f"/api/v1/attempts/{attempt['id']}/submission",
                headers=headers,
                json={"answers": wrong_answers(attempt, app)},
            )
            reopen_lessons(
                lambda method, path, h=headers, **kw: api.open(
                    path, method=method, headers=h, **kw
                ),
                slug,
            )
            if person is learners[0]:
                last = attempt["id"]
    client = app.test_client()
    login(client, learners[0])
    return client, last


PAGES = [
    ("dashboard", "/"),
    ("catalogue", "/modules"),
    ("module", "/modules/{slug}"),
    ("lesson", "/modules/{slug}/lessons/2"),
    ("job aid", "/modules/{slug}/job-aid"),
    ("quiz result", "/attempts/{attempt}"),
]


def test_learner_pages_query_counts_do_not_grow(
    app: Any, ministries: Any, count_queries: Any
) -> None:
    small_client, small_attempt = build(app, VALID, "alfa", attempts=1, others=0)
    small = {
        name: count_queries(small_client, path.format(slug="alfa", attempt=small_attempt))
        for name, path in PAGES
    }
    # Ten more modules, more attempts, more learners, more events.
    # Two failed attempts, like the small build's one: an attempt is still left, so the
    # pages show the same things (a retake on hold), only with more data behind them.
    large_client, large_attempt = build(app, SHIPPED, "conceptos", attempts=2, others=3)
    large = {
        name: count_queries(large_client, path.format(slug="conceptos", attempt=large_attempt))
        for name, path in PAGES
    }
    assert small == large
    print("queries per page:", small)
