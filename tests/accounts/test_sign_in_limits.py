"""Issue 9, item 2: sign-in limits that cannot be dodged, and cannot lock the owner out."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import PASSWORD, login
from tests.helpers import audit_events, outbox, post_form, signed_in_as, with_settings

TOKENS = "/api/v1/auth/tokens"
WRONG = "not the password!"


def spellings(email: str) -> list[str]:
    local, domain = email.split("@")
    full_width_domain = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in domain)
    return [
        email.upper(),
        f"{local}@{full_width_domain}",
        f"  {local.title()}@{domain.upper()}  ",
        f"{local}@{domain.title()}",
    ]


def from_address(app: Any, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_twelve_failures_spread_over_spellings_end_in_429_on_the_api(
    app: Any, learner: Any
) -> None:
    client = from_address(app, "203.0.113.5")
    forms = spellings(learner.email)
    statuses = [
        client.post(TOKENS, json={"email": forms[n % len(forms)], "password": WRONG}).status_code
        for n in range(12)
    ]

    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    # The right password from a fresh address still gets in while this one is throttled.
    fresh = from_address(app, "198.51.100.20")
    assert fresh.post(TOKENS, json={"email": learner.email, "password": PASSWORD}).status_code == (
        201
    )
    assert client.post(TOKENS, json={"email": learner.email, "password": PASSWORD}).status_code == (
        429
    )


def test_twelve_failures_spread_over_spellings_end_in_429_on_the_page(
    app: Any, learner: Any
) -> None:
    client = from_address(app, "203.0.113.5")
    forms = spellings(learner.email)
    statuses = [
        post_form(client, "/login", {"email": forms[n % len(forms)], "password": WRONG}).status_code
        for n in range(12)
    ]

    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
    fresh = from_address(app, "198.51.100.20")
    assert login(fresh, learner).status_code == 302
    assert signed_in_as(fresh) == learner.email


@with_settings(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
def test_ipv6_clients_are_counted_by_their_64(app: Any, learner: Any, make_user: Any) -> None:
    for n in range(3):
        client = from_address(app, f"2001:db8:1:2::{n + 1}")
        assert (
            client.post(
                TOKENS, json={"email": f"g{n}@x.example.org", "password": WRONG}
            ).status_code
            == 401
        )

    same_block = from_address(app, "2001:db8:1:2:ffff::9")
    other_block = from_address(app, "2001:db8:1:3::1")
    body = {"email": learner.email, "password": PASSWORD}
    assert same_block.post(TOKENS, json=body).status_code == 429
    assert other_block.post(TOKENS, json=body).status_code == 201


@with_settings(LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_ADDRESS="3 per minute")
def test_successful_sign_ins_do_not_spend_the_budget(app: Any, learner: Any) -> None:
    client = from_address(app, "203.0.113.5")
    body = {"email": learner.email, "password": PASSWORD}
    assert [client.post(TOKENS, json=body).status_code for _ in range(6)] == [201] * 6
    assert client.post(TOKENS, json={**body, "password": WRONG}).status_code == 401


@with_settings(LOGIN_SLOWDOWN_PER_ACCOUNT="4 per hour", LOGIN_SLOWDOWN_SECONDS=0.5)
def test_failures_from_many_addresses_slow_the_account_down_but_never_lock_it(
    app: Any, learner: Any
) -> None:
    for n in range(4):
        client = from_address(app, f"192.0.2.{n + 1}")
        assert (
            client.post(TOKENS, json={"email": learner.email, "password": WRONG}).status_code == 401
        )

    owner = from_address(app, "198.51.100.20")
    started = time.monotonic()
    response = owner.post(TOKENS, json={"email": learner.email, "password": PASSWORD})
    took = time.monotonic() - started

    assert response.status_code == 201
    assert took >= 0.5
    # Another account is not slowed down.
    started = time.monotonic()
    from_address(app, "192.0.2.99").post(
        TOKENS, json={"email": "x@y.example.org", "password": WRONG}
    )
    assert time.monotonic() - started < 0.5


def test_reset_mails_are_limited_per_account_while_the_form_answers_the_same(
    app: Any, learner: Any
) -> None:
    answers = []
    for n in range(5):
        client = from_address(app, f"192.0.2.{n + 1}")
        response = post_form(client, "/account/reset", {"email": learner.email})
        answers.append((response.status_code, response.headers.get("Location")))

    assert len(set(answers)) == 1 and answers[0][0] == 302
    assert len([m for m in outbox() if m.recipient == learner.email]) == 3
    assert len(audit_events("auth.password_reset_limited")) == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOGIN_SLOWDOWN_PER_ACCOUNT", "lots"),
        ("PASSWORD_RESET_LIMIT_PER_ACCOUNT", "3 per fortnight"),
        ("LOGIN_LIMIT_PER_ACCOUNT", "ten"),
        ("LOGIN_SLOWDOWN_SECONDS", "60"),
    ],
)
def test_limit_settings_are_validated(tmp_path: Any, name: str, value: str) -> None:
    from training.config import ConfigurationError, load_settings

    with pytest.raises(ConfigurationError, match=name):
        load_settings({"TRAINING_ENV": "testing", name: value}, tmp_path)
