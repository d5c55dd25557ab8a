"""``flask demo``."""

from __future__ import annotations

from tests.helpers import fresh, row_counts, with_settings
from training.accounts import credentials, users
from training.accounts.models import Role, User
from training.extensions import db
from training.system.demo_learning import DEMO_STAFF
from training.system.services import DEMO_PASSWORD, DEMO_USERS


def test_demo_loads_one_account_per_role_and_prints_the_logins(runner, client):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert f"Password for every demo account: {DEMO_PASSWORD}" in result.output
    fresh()
    roles = set()
    for email, name, code, user_roles, _post, language in DEMO_USERS:
        assert email in result.output
        user = users.find_by_email(email)
        assert (user.full_name, user.ministry.code, user.language) == (name, code, language)
        assert user.post is not None and user.post.ministry_id == user.ministry_id
        assert user.roles == {Role(role) for role in user_roles}
        roles |= user.roles
        assert credentials.authenticate(email, DEMO_PASSWORD) == user
    assert roles == set(Role)


def test_demo_is_idempotent(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = row_counts()

    again = runner.invoke(args=["demo"])

    assert again.exit_code == 0, again.output
    assert row_counts() == before
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == len(DEMO_USERS) + len(
        DEMO_STAFF
    )


@with_settings(TRAINING_ENV="production")
def test_demo_is_refused_in_production(runner):
    before = row_counts()

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 1
    assert "Demo data is never loaded in production." in result.output
    assert DEMO_PASSWORD not in result.output
    assert row_counts() == before
