"""The account page's optional answer on sex: set, changed, cleared, refused when not
one of the answers offered (tests/reports/test_sex_privacy.py: never shown about a
person)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import audit_actions, fresh, post_form
from training.accounts.models import User
from training.extensions import db


def stored_sex(user: User) -> str | None:
    fresh()
    return db.session.get(User, user.id).sex


def test_the_answer_is_unset_until_the_user_gives_it(learner: User, logged_in: Any) -> None:
    client = logged_in(learner)
    assert stored_sex(learner) is None
    html = client.get("/account").get_data(as_text=True)
    assert "<legend>Sexo (opcional)</legend>" in html
    assert 'id="sex-none" name="sex" value="" checked' in html
    assert html.count("checked") == 1
    assert 'href="/account/password"' in html


def test_set_change_and_clear(learner: User, logged_in: Any) -> None:
    client = logged_in(learner)
    for value, expected in (
        ("female", "female"),
        ("prefer_not_to_say", "prefer_not_to_say"),
        ("", None),
    ):
        response = post_form(client, "/account", {"sex": value})
        assert response.status_code == 302 and response.headers["Location"] == "/account"
        assert stored_sex(learner) == expected
        html = client.get("/account").get_data(as_text=True)
        assert f'id="sex-{value or "none"}" name="sex" value="{value}" checked' in html
    # Not audited: coordinators read the audit log.
    assert not [action for action in audit_actions() if "sex" in action or "profile" in action]


@pytest.mark.parametrize("value", ["robot", "FEMALE", "mujer", "x" * 60])
def test_an_answer_not_offered_is_refused(learner: User, logged_in: Any, value: str) -> None:
    client = logged_in(learner)
    post_form(client, "/account", {"sex": "male"})
    response = post_form(client, "/account", {"sex": value})
    assert response.status_code in (400, 422)
    assert stored_sex(learner) == "male"
    html = response.get_data(as_text=True)
    assert (
        "aria-invalid" in html
        or "Elija una de las respuestas de la lista." in html
        or ('class="errors"' in html)
    )


def test_the_form_needs_its_csrf_token(learner: User, logged_in: Any) -> None:
    client = logged_in(learner)
    assert client.post("/account", data={"sex": "female"}).status_code == 400
    assert stored_sex(learner) is None


def test_the_page_needs_a_signed_in_user(client: Any) -> None:
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_api_sets_and_clears_it(client: Any, learner: User, api_token: Any) -> None:
    headers = api_token(learner)
    for value in ("another", None, "male"):
        response = client.patch("/api/v1/me", json={"sex": value}, headers=headers)
        assert response.status_code == 204
        assert stored_sex(learner) == value
    for body in ({"sex": "robot"}, {"sex": 3}, {}, {"sex": "female", "email": "x@y.org"}):
        response = client.patch("/api/v1/me", json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.get_json()["code"] == "validation_failed"
    assert stored_sex(learner) == "male"
    assert client.patch("/api/v1/me", json={"sex": "female"}).status_code == 401
