"""The audit log: what is recorded, what never is, and that nothing can change it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import PASSWORD, login
from tests.helpers import audit_actions, audit_events, fresh, post_form, table_text, with_settings
from training.accounts import tokens, users
from training.audit import services
from training.audit.models import AuditEvent
from training.extensions import db

NEW_PASSWORD = "a new passphrase for the consulate"


def test_record_names_actor_target_ministry_and_address(app, learner, other_learner):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        event = services.record("user.tested", actor=learner, target=other_learner)
    db.session.commit()

    fresh()
    stored = db.session.get(AuditEvent, event.id)
    assert stored.actor_id == learner.id
    assert (stored.target_type, stored.target_id) == ("User", str(other_learner.id))
    # The ministry is the target's, not the actor's.
    assert stored.ministry_id == other_learner.ministry_id
    assert stored.address == "203.0.113.9"
    assert stored.occurred_at.tzinfo is not None


def test_record_outside_a_request_has_no_address_and_falls_back_to_the_actors_ministry(learner):
    event = services.record("user.tested", actor=learner, details={"why": "a reason"})

    assert event.address is None
    assert event.ministry_id == learner.ministry_id
    assert event.target_type is None
    assert event.details == {"why": "a reason"}


def test_record_drops_secret_details_whatever_the_caller_passes(learner):
    event = services.record(
        "user.tested",
        actor=learner,
        details={
            "password": "p1",
            "new_password": "p2",
            "current_password": "p3",
            "token": "t",
            "secret": "s",
            "kept": "yes",
        },
    )

    assert event.details == {"kept": "yes"}


def test_the_orm_refuses_to_change_or_delete_an_event(learner):
    event = services.record("user.tested", actor=learner)
    db.session.commit()

    event.action = "user.rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()

    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert audit_actions() == ["user.created", "user.tested"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'user.rewritten'",
        "UPDATE audit_event SET details = '{}' WHERE action = 'user.created'",
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE action = 'user.created'",
    ],
)
def test_the_database_itself_refuses_to_change_or_delete_events(learner, statement):
    before = [(e.id, e.action, e.details) for e in audit_events()]
    assert before

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()

    assert [(e.id, e.action, e.details) for e in audit_events()] == before


def test_new_events_can_still_be_inserted_by_sql(learner):
    db.session.execute(
        text(
            "INSERT INTO audit_event (occurred_at, action, details) "
            "VALUES (CURRENT_TIMESTAMP, 'user.tested', '{}')"
        )
    )
    db.session.commit()

    assert audit_actions()[-1] == "user.tested"


def test_every_audited_action_lands_in_the_log_and_no_secret_does(app, client, learner, admin):
    # Sign-in failure and success, sign-out.
    post_form(client, "/login", {"email": learner.email, "password": "a wrong password"})
    login(client, learner)
    post_form(client, "/logout", {}, token_from="/")
    # Password change.
    login(client, learner)
    post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    # Password reset by mail.
    post_form(client, "/account/reset", {"email": learner.email})
    fresh()
    reset_token = tokens.make_token(learner)
    reset_password = "the password chosen after a reset"
    post_form(
        client,
        f"/account/reset/{reset_token}",
        {"new_password": reset_password, "confirm": reset_password},
    )
    # Role change, token creation and revocation.
    users.set_roles(learner, ["learner", "issuer"], actor=admin)
    db.session.commit()
    api = app.test_client()
    bearer = api.post(
        "/api/v1/auth/tokens", json={"email": learner.email, "password": reset_password}
    ).get_json()["token"]
    api.delete("/api/v1/auth/tokens/current", headers={"Authorization": f"Bearer {bearer}"})

    actions = audit_actions()
    for action in [
        "auth.login_failed",
        "auth.login",
        "auth.logout",
        "auth.password_changed",
        "auth.password_reset_requested",
        "auth.password_reset",
        "user.roles_changed",
        "auth.token_created",
        "auth.token_revoked",
    ]:
        assert action in actions, action
    logged = table_text("audit_event")
    for secret in [
        PASSWORD,
        "a wrong password",
        NEW_PASSWORD,
        reset_password,
        reset_token,
        bearer,
        bearer.removeprefix("aula_"),
    ]:
        assert secret not in logged


@with_settings(TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_the_client_address_is_logged(client, learner):
    post_form(client, "/login", {"email": learner.email, "password": "a wrong password"})
    client.post(
        "/api/v1/auth/tokens",
        json={"email": learner.email, "password": "a wrong password"},
        headers={"X-Forwarded-For": "203.0.113.50"},
    )

    addresses = [event.address for event in audit_events("auth.login_failed")]
    assert addresses == ["127.0.0.1", "203.0.113.50"]


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(client, learner):
    client.post(
        "/api/v1/auth/tokens",
        json={"email": learner.email, "password": "a wrong password"},
        headers={"X-Forwarded-For": "203.0.113.50"},
    )

    assert [event.address for event in audit_events("auth.login_failed")] == ["127.0.0.1"]


@with_settings(TRUSTED_PROXIES=2)
def test_an_overlong_forwarded_address_does_not_break_sign_in(client, learner):
    # One proxy too many is trusted: the client writes the "address" it likes.
    response = client.post(
        "/api/v1/auth/tokens",
        json={"email": learner.email, "password": "a wrong password"},
        headers={"X-Forwarded-For": "x" * 100 + ", 10.0.0.1"},
    )

    assert response.status_code == 401
    (event,) = audit_events("auth.login_failed")
    assert event.address == "x" * 64
