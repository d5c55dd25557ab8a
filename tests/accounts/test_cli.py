"""``flask users ...``: create, set-role, deactivate."""

from __future__ import annotations

import pytest

from tests.factories import create_post_for
from tests.helpers import audit_events, fresh, row_counts
from training.accounts import credentials, passwords, users
from training.accounts.models import Role, User
from training.extensions import db

NEW_PASSWORD = "a passphrase typed at the prompt"


def create(runner, *args, input=None):
    return runner.invoke(
        args=["users", "create", "consul@gt.example.org", "--name", "Ana Coyoy", *args],
        input=input,
    )


def stored_user(email: str = "consul@gt.example.org") -> User | None:
    fresh()
    return users.find_by_email(email)


def test_create_reads_the_password_from_standard_input(runner, ministries):
    result = create(runner, "--ministry", "gt", "--password-stdin", input=NEW_PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    user = stored_user()
    assert f"Created user {user.id} <consul@gt.example.org> (learner)." in result.output
    assert user.ministry.code == "GT"
    assert user.roles == {Role.learner}
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert NEW_PASSWORD not in result.output


def test_create_prompts_twice_for_the_password(runner, ministries):
    result = create(
        runner,
        "--ministry",
        "GT",
        "--role",
        "coordinator",
        "--role",
        "learner",
        "--language",
        "fr",
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert NEW_PASSWORD not in result.output
    user = stored_user()
    assert user.roles == {Role.coordinator, Role.learner}
    assert user.language == "fr"
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)


def test_create_asks_again_when_the_two_passwords_differ(runner, ministries):
    result = create(
        runner,
        "--ministry",
        "GT",
        input=f"{NEW_PASSWORD}\nsomething else\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert passwords.verify_password(stored_user().password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(
    "args",
    [
        ["--password", NEW_PASSWORD],
        ["-p", NEW_PASSWORD],
        [NEW_PASSWORD],
        [f"--password={NEW_PASSWORD}"],
    ],
    ids=["--password", "-p", "positional", "--password="],
)
def test_create_never_takes_the_password_as_an_argument(runner, ministries, args):
    before = row_counts()

    result = create(runner, "--ministry", "GT", *args, input="")

    assert result.exit_code == 2
    assert row_counts() == before


def test_create_refuses_a_weak_password(runner, ministries):
    result = create(runner, "--ministry", "GT", "--password-stdin", input="short\n")

    assert result.exit_code == 1
    assert "al menos 12 caracteres" in result.output
    assert "Traceback" not in result.output
    assert stored_user() is None


def test_create_refuses_an_email_already_taken_in_another_case(runner, make_user):
    make_user(email="consul@gt.example.org")
    before = row_counts()

    result = runner.invoke(
        args=["users", "create", "CONSUL@GT.example.org", "--name", "Otra", "--ministry", "MX"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 1
    assert "Ya existe un usuario con ese correo electrónico." in result.output
    assert row_counts() == before


@pytest.mark.parametrize("code", ["XX", "GTM", "", "1"])
def test_create_refuses_an_unknown_ministry(runner, ministries, code):
    result = create(runner, "--ministry", code, "--password-stdin", input=NEW_PASSWORD + "\n")

    assert result.exit_code == 1
    assert "No existe el ministerio" in result.output
    assert stored_user() is None


def test_create_with_a_post_of_the_ministry(runner, ministries):
    post = create_post_for("GT")

    result = create(
        runner, "--ministry", "GT", "--post", str(post.id), "--password-stdin", input=NEW_PASSWORD
    )

    assert result.exit_code == 0, result.output
    assert stored_user().post_id == post.id


@pytest.mark.parametrize(
    "post", ["other ministry", "0", "-1", "2147483648", "100000000000000000000", "abc", "1.5"]
)
def test_create_refuses_a_post_outside_the_ministry(runner, ministries, post):
    mexican = create_post_for("MX")
    post_id = str(mexican.id) if post == "other ministry" else post

    result = create(
        runner, "--ministry", "GT", "--post", post_id, "--password-stdin", input=NEW_PASSWORD + "\n"
    )

    assert result.exit_code == 1
    assert "No existe ese puesto en el ministerio." in result.output
    assert stored_user() is None


def test_create_refuses_an_unknown_role(runner, ministries):
    result = create(runner, "--ministry", "GT", "--role", "emperor", "--password-stdin", input="")

    assert result.exit_code == 2
    assert stored_user() is None


def test_create_refuses_a_bad_email_with_the_field_named(runner, ministries):
    result = runner.invoke(
        args=["users", "create", "not-an-email", "--name", "X", "--ministry", "GT"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 1
    assert "email: Correo electrónico no válido." in result.output


def test_set_role_replaces_the_roles_and_is_audited(runner, learner):
    result = runner.invoke(args=["users", "set-role", learner.email.upper(), "issuer", "learner"])

    assert result.exit_code == 0, result.output
    assert f"{learner.email}: issuer, learner." in result.output
    assert stored_user(learner.email).roles == {Role.issuer, Role.learner}
    (event,) = audit_events("user.roles_changed")
    assert event.actor_id is None
    assert event.details == {"before": ["learner"], "after": ["issuer", "learner"]}


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        (["nobody@gt.example.org", "learner"], 1),
        (["{email}", "emperor"], 2),
        (["{email}"], 2),
    ],
    ids=["unknown user", "unknown role", "no role"],
)
def test_set_role_refusals(runner, learner, args, exit_code):
    args = [arg.format(email=learner.email) for arg in args]

    result = runner.invoke(args=["users", "set-role", *args])

    assert result.exit_code == exit_code
    assert stored_user(learner.email).roles == {Role.learner}


def test_deactivate_stops_sign_in(runner, client, learner):
    result = runner.invoke(args=["users", "deactivate", learner.email])

    assert result.exit_code == 0, result.output
    assert f"{learner.email} can no longer sign in." in result.output
    user = stored_user(learner.email)
    assert not user.active
    assert credentials.authenticate(learner.email, "correct horse battery staple") is None
    # Their records stay.
    assert db.session.get(User, learner.id) is not None
    assert [e.action for e in audit_events("user.deactivated")] == ["user.deactivated"]


def test_deactivate_an_unknown_user(runner, ministries):
    result = runner.invoke(args=["users", "deactivate", "nobody@gt.example.org"])

    assert result.exit_code == 1
    assert "No user with e-mail 'nobody@gt.example.org'." in result.output


def test_users_help_lists_every_command(runner):
    result = runner.invoke(args=["users", "--help"])

    assert result.exit_code == 0
    for command in ("create", "set-role", "deactivate"):
        assert command in result.output
