"""Authorization in one place: the role × permission matrix and tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.factories import create_post_for
from training import authz
from training.accounts.models import Role
from training.authz import Permission
from training.errors import Forbidden, NotFound, Unauthenticated
from training.extensions import db
from training.ministries.models import Post

# Written out from DESIGN.md's table of roles, not copied from authz.POLICY: a change to
# the policy must show up here as a failing cell.
ALLOWED: dict[Role, set[Permission]] = {
    Role.learner: {Permission.learn},
    Role.coordinator: {
        Permission.learn,
        Permission.manage_staff,
        Permission.view_ministry_reports,
        Permission.manage_external_courses,
        Permission.read_audit_log,
        Permission.view_certificates,
        Permission.view_indicators,
    },
    Role.issuer: {
        Permission.learn,
        Permission.issue_certificates,
        Permission.view_certificates,
    },
    Role.regional: {
        Permission.learn,
        Permission.view_regional_reports,
        Permission.view_indicators,
    },
    Role.admin: set(Permission),
}


def test_every_role_and_permission_is_in_the_matrix():
    assert set(ALLOWED) == set(Role)
    assert set(authz.POLICY) == set(Permission)


@pytest.mark.parametrize("permission", list(Permission), ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_role_permission_matrix(make_user, role, permission):
    user = make_user(roles=[role.value])
    allowed = permission in ALLOWED[role]

    assert authz.can(user, permission) is allowed
    if allowed:
        assert authz.require(user, permission) is user
    else:
        with pytest.raises(Forbidden):
            authz.require(user, permission)


def test_roles_add_up(make_user):
    user = make_user(roles=["issuer", "regional"])

    assert authz.can(user, Permission.issue_certificates)
    assert authz.can(user, Permission.view_regional_reports)
    assert not authz.can(user, Permission.manage_staff)


@pytest.mark.parametrize("permission", list(Permission), ids=str)
def test_an_inactive_admin_may_do_nothing(make_user, permission):
    user = make_user(roles=["admin"], active=False)

    assert not authz.can(user, permission)
    with pytest.raises(Unauthenticated):
        authz.require(user, permission)


@pytest.mark.parametrize("nobody", [None, "admin", object()], ids=["none", "string", "object"])
def test_only_users_are_actors(app, nobody):
    assert not authz.can(nobody, Permission.learn)
    with pytest.raises(Unauthenticated):
        authz.require(nobody, Permission.learn)


def test_actor_outside_a_signed_in_request_is_a_401(app):
    with app.test_request_context(), pytest.raises(Unauthenticated):
        authz.actor()


# --- Tenant isolation -------------------------------------------------------------------


def test_get_scoped_loads_a_record_of_the_actors_ministry(learner):
    post = create_post_for("GT")

    assert authz.get_scoped(Post, post.id, learner) == post
    assert authz.get_scoped(Post, str(post.id), learner) == post


def test_get_scoped_gives_404_for_another_ministrys_record(learner, other_learner, coordinator):
    mexican = create_post_for("MX")

    for actor in (learner, coordinator):
        with pytest.raises(NotFound) as caught:
            authz.get_scoped(Post, mexican.id, actor)
        # The same answer as for an id that does not exist.
        assert caught.value.message == "No encontrado."
    assert authz.get_scoped(Post, mexican.id, other_learner) == mexican


def test_admins_see_every_ministry(admin):
    mexican = create_post_for("MX")

    assert authz.get_scoped(Post, mexican.id, admin) == mexican
    authz.check_ministry(admin, mexican.ministry_id)


@pytest.mark.parametrize(
    "record_id",
    [0, -1, 2**31, 10**30, "abc", "", " 1", "1 ", "0x1", "１", None, True, 1.0, [1], "9" * 13],
    ids=repr,
)
def test_get_scoped_gives_404_for_ids_that_cannot_name_a_row(admin, record_id):
    create_post_for("CR")

    with pytest.raises(NotFound):
        authz.get_scoped(Post, record_id, admin)


def test_scoped_narrows_lists_to_the_actors_ministry(learner, admin):
    create_post_for("GT", name="Consulado GT")
    create_post_for("MX", name="Consulado MX")
    statement = db.select(Post.name).order_by(Post.name)

    assert list(db.session.scalars(authz.scoped(statement, Post, learner))) == ["Consulado GT"]
    assert list(db.session.scalars(authz.scoped(statement, Post, admin))) == [
        "Consulado GT",
        "Consulado MX",
    ]


# --- The decorators ---------------------------------------------------------------------


@pytest.fixture
def guarded(app: Flask) -> Flask:
    @authz.permission_required(Permission.issue_certificates)
    def sign() -> str:
        return "signed"

    @authz.login_required
    def anyone() -> str:
        return f"hello {authz.actor().id}"

    app.add_url_rule("/test/sign", "test_sign", sign)
    app.add_url_rule("/api/v1/test/sign", "api_test_sign", sign)
    app.add_url_rule("/api/v1/test/anyone", "api_test_anyone", anyone)
    return app


@pytest.mark.parametrize(
    ("who", "status"),
    [("issuer", 200), ("admin", 200), ("learner", 403), ("coordinator", 403), ("regional", 403)],
)
def test_permission_required_on_the_api(guarded, request, client, api_token, who, status):
    user: Any = request.getfixturevalue(who)

    response = client.get("/api/v1/test/sign", headers=api_token(user))

    assert response.status_code == status


def test_permission_required_on_the_api_without_a_user(guarded, client):
    response = client.get("/api/v1/test/sign")

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated"


def test_login_required_lets_any_active_user_in(guarded, client, api_token, regional):
    response = client.get("/api/v1/test/anyone", headers=api_token(regional))

    assert response.get_data(as_text=True) == f"hello {regional.id}"


def test_permission_required_page_for_an_issuer(guarded, client, logged_in, issuer):
    logged_in(issuer)

    assert client.get("/test/sign").get_data(as_text=True) == "signed"
