"""The rules of accounts, called directly: users, roles, sign-in, resets and tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import PASSWORD
from tests.factories import create_post_for
from tests.helpers import audit_events, fresh, outbox
from training.accounts import credentials, passwords, sessions, tokens, users
from training.accounts.models import ApiToken, Role, User, UserSession
from training.database import utcnow
from training.errors import Conflict, Forbidden, Invalid, NotFound, ValidationFailed
from training.extensions import db
from training.ministries.services import get_ministry


def new_user(**fields: Any) -> User:
    values: dict[str, Any] = {
        "email": "nueva@gt.example.org",
        "full_name": "Nueva Persona",
        "ministry": get_ministry("GT"),
        "password": PASSWORD,
    }
    values.update(fields)
    user = users.create_user(**values)
    db.session.commit()
    return user


# --- E-mail addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Consul@GT.Example.org", "consul@gt.example.org"),
        ("  consul@gt.example.org\t", "consul@gt.example.org"),
        ("CÓNSUL@gt.example.org", "cónsul@gt.example.org"),
    ],
)
def test_emails_are_stored_lower_cased(ministries, given, stored):
    assert users.normalize_email(given) == stored


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "no-at-sign", "a@b", "two@@gt.example.org", "a" * 250 + "@gt.example.org", None],
)
def test_bad_emails_are_refused(ministries, bad):
    with pytest.raises(ValidationFailed) as caught:
        users.normalize_email(bad)

    assert "email" in caught.value.details["fields"]


def test_find_by_email_ignores_case_and_tolerates_garbage(learner):
    assert users.find_by_email(learner.email.upper()) == learner
    assert users.find_by_email("not an e-mail") is None
    assert users.find_by_email("nobody@gt.example.org") is None


# --- Creating users ---------------------------------------------------------------------


def test_create_user_with_an_argon2id_hash(ministries):
    user = new_user(email="Nueva@GT.example.org", roles=["learner", "coordinator"])

    assert user.email == "nueva@gt.example.org"
    assert user.roles == {Role.learner, Role.coordinator}
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert user.active
    (event,) = audit_events("user.created")
    assert event.details == {"roles": ["coordinator", "learner"]}
    assert event.actor_id is None


def test_the_same_email_in_another_case_is_a_conflict(ministries):
    new_user(email="consul@gt.example.org")

    with pytest.raises(Conflict):
        new_user(email="CONSUL@gt.example.org", ministry=get_ministry("MX"))


@pytest.mark.parametrize(
    "name",
    [
        "María José Pérez Xicará",
        "Nguyễn Thị Minh Khai",
        "محمد عبد الله",
        "山田 太郎",
        "Ελένη Παπαδοπούλου",
        "Jean-François L'Écuyer",
        "O'Brien Ixchel Tz'ul",
        "देवनागरी नाम",
    ],
)
def test_full_names_in_any_script_are_kept(ministries, name):
    user = new_user(full_name=f"  {name}  ")

    fresh()
    assert db.session.get(User, user.id).full_name == name


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "Nombre\x00Oculto", "Nombre\x07"], ids=repr)
def test_unusable_full_names_are_refused(ministries, name):
    with pytest.raises(ValidationFailed) as caught:
        new_user(full_name=name)

    assert "full_name" in caught.value.details["fields"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"language": "de"}, "language"),
        ({"roles": ["superuser"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"roles": ["learner", "root"]}, "roles"),
        ({"password": "short"}, "password"),
        ({"email": "nueva@gt.example.org", "password": "nueva@gt.example.org!"}, "password"),
    ],
)
def test_invalid_user_data_is_refused(ministries, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        new_user(**fields)

    assert field in caught.value.details["fields"]
    fresh()
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_a_user_without_a_password_cannot_sign_in(ministries):
    user = new_user(password=None)

    assert user.password_hash is None
    assert credentials.authenticate(user.email, "") is None
    assert credentials.authenticate(user.email, "anything at all here") is None


def test_the_post_must_belong_to_the_users_ministry(ministries):
    mexican_post = create_post_for("MX")

    with pytest.raises(NotFound):
        new_user(post=mexican_post)


def test_a_coordinator_creates_users_of_their_own_ministry_only(coordinator):
    created = users.create_user(
        email="equipo@gt.example.org",
        full_name="Equipo",
        ministry=get_ministry("GT"),
        actor=coordinator,
    )
    assert created.ministry.code == "GT"

    with pytest.raises(NotFound):
        users.create_user(
            email="otro@mx.example.org",
            full_name="Otro",
            ministry=get_ministry("MX"),
            actor=coordinator,
        )


def test_a_learner_cannot_create_users(learner):
    with pytest.raises(Forbidden):
        users.create_user(
            email="equipo@gt.example.org",
            full_name="Equipo",
            ministry=get_ministry("GT"),
            actor=learner,
        )


# --- Roles and deactivation -------------------------------------------------------------


def test_coordinator_changes_roles_in_their_ministry_and_it_is_audited(coordinator, make_user):
    staff = make_user(ministry="GT")

    users.set_roles(staff, ["learner", "issuer"], actor=coordinator)
    db.session.commit()

    fresh()
    assert db.session.get(User, staff.id).roles == {Role.learner, Role.issuer}
    (event,) = audit_events("user.roles_changed")
    assert event.actor_id == coordinator.id
    assert event.target_id == str(staff.id)
    assert event.details == {"before": ["learner"], "after": ["issuer", "learner"]}


def test_coordinator_of_another_ministry_gets_404(coordinator, other_learner):
    with pytest.raises(NotFound):
        users.set_roles(other_learner, ["coordinator"], actor=coordinator)
    with pytest.raises(NotFound):
        users.deactivate(other_learner, actor=coordinator)
    fresh()
    other = db.session.get(User, other_learner.id)
    assert other.roles == {Role.learner}
    assert other.active


@pytest.mark.parametrize("granted", [["admin"], ["regional"], ["learner", "admin"]])
def test_coordinator_cannot_grant_admin_or_regional(coordinator, make_user, granted):
    staff = make_user(ministry="GT")

    with pytest.raises(Forbidden):
        users.set_roles(staff, granted, actor=coordinator)


def test_coordinator_cannot_demote_a_regional_user_of_their_ministry(coordinator, make_user):
    secretariat = make_user(ministry="GT", roles=["regional"])

    with pytest.raises(Forbidden):
        users.set_roles(secretariat, ["learner"], actor=coordinator)


@pytest.mark.parametrize("actor_role", ["learner", "issuer", "regional"])
def test_only_coordinators_and_admins_manage_staff(make_user, actor_role):
    actor = make_user(ministry="GT", roles=[actor_role])
    staff = make_user(ministry="GT")

    with pytest.raises(Forbidden):
        users.set_roles(staff, ["coordinator"], actor=actor)
    with pytest.raises(Forbidden):
        users.deactivate(staff, actor=actor)


def test_admin_manages_every_ministry(admin, other_learner):
    users.set_roles(other_learner, ["admin"], actor=admin)
    users.deactivate(other_learner, actor=admin)
    db.session.commit()

    fresh()
    assert db.session.get(User, other_learner.id).roles == {Role.admin}
    assert not db.session.get(User, other_learner.id).active


def test_set_roles_refuses_unknown_roles(learner):
    with pytest.raises(ValidationFailed):
        users.set_roles(learner, ["learner", "emperor"], actor=None)


def test_deactivation_revokes_tokens_once(coordinator, make_user):
    staff = make_user(ministry="GT")
    issued = tokens.create_token(staff)
    db.session.commit()

    users.deactivate(staff, actor=coordinator)
    users.deactivate(staff, actor=coordinator)
    db.session.commit()

    fresh()
    assert not db.session.get(User, staff.id).active
    assert db.session.get(ApiToken, issued.record.id).revoked_at is not None
    assert tokens.token_record(issued.token) is None
    assert len(audit_events("user.deactivated")) == 1


# --- Signing in -------------------------------------------------------------------------


def test_authenticate_audits_success_and_failure_without_the_password(learner):
    assert credentials.authenticate(learner.email, PASSWORD) == learner
    assert credentials.authenticate(learner.email, "wrong password here") is None
    assert credentials.authenticate("nobody@gt.example.org", "wrong password here") is None
    db.session.commit()

    actions = [(e.action, e.details.get("reason")) for e in audit_events()]
    assert actions[-3:] == [
        ("auth.login", None),
        ("auth.login_failed", "credentials"),
        ("auth.login_failed", "credentials"),
    ]
    for event in audit_events():
        assert PASSWORD not in str(event.details)
        assert "wrong password here" not in str(event.details)


def test_hashes_are_upgraded_when_the_cost_changes(app, learner):
    app.config["ARGON2_TIME_COST"] = 2

    assert credentials.authenticate(learner.email, PASSWORD) == learner
    db.session.commit()

    fresh()
    upgraded = db.session.get(User, learner.id).password_hash
    assert ",t=2," in upgraded
    assert passwords.verify_password(upgraded, PASSWORD)


@pytest.mark.parametrize(
    "session_id", ["", "abc", "1", "1.", ".1", "0.1", "-1.1", "1.x", "99999999999999.1", "1.1.1"]
)
def test_malformed_session_ids_load_nobody(learner, session_id):
    key = sessions.start_session(learner)
    db.session.commit()

    assert sessions.load_session_user(session_id, key) is None


def test_a_session_id_names_the_user_and_their_auth_version(learner):
    key = sessions.start_session(learner)
    db.session.commit()

    assert sessions.load_session_user(learner.get_id(), key) == learner
    assert sessions.load_session_user(f"{learner.id}.{learner.auth_version + 1}", key) is None


@pytest.mark.parametrize("key", [None, "", "not-a-key", "x" * 5000, 42, ["list"]])
def test_a_session_needs_its_registered_key(learner, key):
    sessions.start_session(learner)
    db.session.commit()

    assert sessions.load_session_user(learner.get_id(), key) is None


def test_a_key_signs_in_only_its_own_user(learner, make_user):
    other = make_user(roles=["learner"])
    key = sessions.start_session(other)
    db.session.commit()

    assert sessions.load_session_user(learner.get_id(), key) is None


def test_sessions_end_at_sign_out_and_after_their_lifetime(app, learner):
    key = sessions.start_session(learner)
    old = sessions.start_session(learner)
    db.session.commit()
    db.session.execute(
        db.update(UserSession)
        .where(UserSession.key_hash == hashlib.sha256(old.encode()).hexdigest())
        .values(created_at=utcnow() - timedelta(hours=app.config["SESSION_HOURS"], minutes=1))
    )
    db.session.commit()

    assert sessions.load_session_user(learner.get_id(), old) is None
    sessions.end_session(key)
    db.session.commit()
    assert sessions.load_session_user(learner.get_id(), key) is None
    # The next sign-in purges what has expired.
    sessions.start_session(learner)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 1


# --- Password change and reset ----------------------------------------------------------


def test_change_password_checks_the_current_one(learner):
    with pytest.raises(ValidationFailed) as caught:
        credentials.change_password(learner, "not my password!", "a brand new passphrase")

    assert "current_password" in caught.value.details["fields"]


def test_change_password_ends_every_session(learner):
    old_session = learner.get_id()
    key = sessions.start_session(learner)
    db.session.commit()

    credentials.change_password(learner, PASSWORD, "a brand new passphrase")
    db.session.commit()

    assert sessions.load_session_user(old_session, key) is None
    assert sessions.load_session_user(learner.get_id(), key) is None
    assert sessions.load_session_user(learner.get_id(), sessions.start_session(learner)) == learner


def test_reset_request_for_a_known_account_mails_it(learner):
    credentials.request_password_reset(learner.email, lambda token: f"https://x.example/{token}")
    db.session.commit()

    (message,) = outbox()
    assert message.recipient == learner.email
    assert "https://x.example/" in message.body
    (event,) = audit_events("auth.password_reset_requested")
    assert event.details == {"known": True}
    # The link's token is not in the audit log.
    token = message.body.split("https://x.example/")[1].split()[0]
    assert token not in str(event.details)


def test_reset_request_for_an_unknown_account_mails_nobody(ministries):
    credentials.request_password_reset("nobody@gt.example.org", lambda token: token)
    db.session.commit()

    assert outbox() == []
    (event,) = audit_events("auth.password_reset_requested")
    assert event.details == {"known": False}
    assert event.target_id is None


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("es", "Restablecer su contraseña de Aula Consular"),
        ("en", "Reset your Aula Consular password"),
        ("fr", "Réinitialiser votre mot de passe Aula Consular"),
    ],
)
def test_reset_mail_is_in_the_users_language(make_user, language, subject):
    user = make_user(language=language)

    credentials.request_password_reset(user.email, lambda token: f"https://x.example/{token}")
    db.session.commit()

    (message,) = outbox()
    assert message.subject == subject
    assert "Hola" not in message.body or language == "es"


@pytest.mark.parametrize(
    "payload",
    [["not", "a", "dict"], {"u": "abc", "f": "x"}, {"u": 2**40, "f": "x"}, {"u": 0}, {}],
    ids=["list", "id not a number", "id too large", "id zero", "empty"],
)
def test_reset_tokens_with_odd_payloads_are_refused(app, learner, payload):
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset").dumps(payload)

    with pytest.raises(Invalid):
        tokens.user_for_token(token)


def test_reset_token_with_a_stale_password_fingerprint_is_refused(app, learner):
    forged = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset").dumps(
        {"u": learner.id, "f": "0000000000000000"}
    )

    with pytest.raises(Invalid):
        tokens.user_for_token(forged)


# --- Tokens -----------------------------------------------------------------------------


def test_token_records_are_found_by_secret_only(learner):
    issued = tokens.create_token(learner)
    db.session.commit()

    assert tokens.token_record(issued.token) == issued.record
    assert tokens.token_record(issued.token + "x") is None
    assert tokens.token_record(issued.token.removeprefix("aula_")) is None
    assert tokens.token_record("aula_" + "x" * 250) is None
    assert issued.expires_at == issued.record.expires_at


def test_a_token_stops_working_when_its_user_is_switched_off(learner):
    issued = tokens.create_token(learner)
    learner.active = False  # directly, as an operator's SQL would: no revocation
    db.session.commit()

    assert tokens.token_record(issued.token) is None


def test_nobody_revokes_another_users_token(learner, other_learner):
    issued = tokens.create_token(learner)
    db.session.commit()

    with pytest.raises(NotFound):
        tokens.revoke_token(issued.record, actor=other_learner)
    assert tokens.token_record(issued.token) is not None


def test_token_creation_and_revocation_are_audited(learner):
    issued = tokens.create_token(learner)
    tokens.revoke_token(issued.record, actor=learner)
    tokens.revoke_token(issued.record, actor=learner)
    db.session.commit()

    created = audit_events("auth.token_created")
    revoked = audit_events("auth.token_revoked")
    assert len(created) == len(revoked) == 1
    assert created[0].target_id == revoked[0].target_id == str(issued.record.id)
    assert created[0].ministry_id == learner.ministry_id
    assert issued.token not in str(created[0].details)
