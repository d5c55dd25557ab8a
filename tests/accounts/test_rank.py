"""Issue 9: the rank rule for staff actions (items 1 and 5), answers that do not reveal
another ministry's accounts (item 6) and traces of refused requests (item 7)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.helpers import audit_events, fresh, outbox, post_form, table_text, with_settings
from training.accounts import users
from training.accounts.models import Role, User
from training.extensions import db

HEADER = "email,full_name,post,language,role\n"


def stored(user: User) -> User:
    fresh()
    return db.session.get_one(User, user.id)


@pytest.fixture
def as_coordinator(app: Any, coordinator: Any, api_token: Any) -> Any:
    headers = api_token(coordinator)
    client = app.test_client()

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def refusals() -> list[tuple[str | None, str, str]]:
    return [
        (event.target_id, event.details["action"], event.details["reason"])
        for event in audit_events("staff.action_refused")
    ]


# --- Item 1: a coordinator cannot act on accounts above their rank ------------------------


@pytest.mark.parametrize("roles", [["admin"], ["regional"], ["admin", "learner"]])
def test_a_coordinator_cannot_deactivate_an_account_above_their_rank_api(
    as_coordinator: Any, make_user: Any, roles: list[str]
) -> None:
    boss = make_user(roles=roles, ministry="GT")
    listed = as_coordinator("GET", f"/api/v1/staff?role={roles[0]}").get_json()
    assert [item["id"] for item in listed["items"]] == [boss.id]

    response = as_coordinator("POST", f"/api/v1/staff/{boss.id}/deactivation")

    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"
    assert stored(boss).active
    assert refusals() == [(str(boss.id), "deactivate", "rank")]


def test_a_coordinator_cannot_deactivate_the_admin_from_the_page(
    client: Any, logged_in: Any, coordinator: Any, make_user: Any
) -> None:
    boss = make_user(roles=["admin"], ministry="GT")
    staff = make_user(roles=["learner"], ministry="GT")
    logged_in(coordinator)
    page = client.get("/coordination/staff").get_data(as_text=True)
    # Actions are offered on the learner, not on the administrator (nor oneself).
    assert f"/coordination/staff/{staff.id}/deactivate" in page
    assert f"/coordination/staff/{boss.id}/deactivate" not in page
    assert f"/coordination/staff/{coordinator.id}/deactivate" not in page

    response = post_form(
        client, f"/coordination/staff/{boss.id}/deactivate", {}, token_from="/coordination/staff"
    )

    assert response.status_code == 403
    assert stored(boss).active
    assert refusals() == [(str(boss.id), "deactivate", "rank")]


def test_nobody_deactivates_themselves(as_coordinator: Any, coordinator: Any) -> None:
    response = as_coordinator("POST", f"/api/v1/staff/{coordinator.id}/deactivation")

    assert response.status_code == 403
    assert stored(coordinator).active
    assert refusals() == [(str(coordinator.id), "deactivate", "self")]


def test_a_coordinator_still_deactivates_and_reactivates_their_staff(
    as_coordinator: Any, make_user: Any
) -> None:
    staff = make_user(roles=["issuer", "coordinator"], ministry="GT")

    assert as_coordinator("POST", f"/api/v1/staff/{staff.id}/deactivation").status_code == 200
    assert not stored(staff).active
    back = as_coordinator("POST", f"/api/v1/staff/{staff.id}/reactivation")

    assert back.status_code == 200 and back.get_json()["active"] is True
    assert stored(staff).active
    assert [e.action for e in audit_events() if e.action.startswith("user.")][-2:] == [
        "user.deactivated",
        "user.reactivated",
    ]


def test_reactivating_an_admin_is_refused_to_a_coordinator(
    as_coordinator: Any, make_user: Any, admin: Any
) -> None:
    boss = make_user(roles=["admin"], ministry="GT")
    users.deactivate(boss, actor=None)
    db.session.commit()

    response = as_coordinator("POST", f"/api/v1/staff/{boss.id}/reactivation")

    assert response.status_code == 403
    assert not stored(boss).active
    assert refusals() == [(str(boss.id), "reactivate", "rank")]


def test_inviting_over_an_admin_of_ones_ministry_is_refused_and_audited(
    as_coordinator: Any, make_user: Any
) -> None:
    boss = make_user(roles=["admin"], ministry="GT")

    response = as_coordinator(
        "POST", "/api/v1/staff", json={"email": boss.email, "full_name": "Otra Persona"}
    )

    assert response.status_code == 403
    assert refusals() == [(str(boss.id), "invite", "rank")]


def test_importing_over_an_admin_is_refused_row_by_row_and_audited(
    as_coordinator: Any, make_user: Any
) -> None:
    boss = make_user(roles=["admin"], ministry="GT")
    text = HEADER + f"{boss.email},Renombrado,,en,learner\n"

    result = as_coordinator(
        "POST", "/api/v1/staff/import?mode=valid", data=text.encode(), content_type="text/csv"
    ).get_json()

    assert result["rows"][0]["action"] == "error"
    assert "no gestiona" in result["rows"][0]["problems"][0]
    after = stored(boss)
    assert (after.full_name, after.language, after.roles) == (
        boss.full_name,
        boss.language,
        {Role.admin},
    )
    assert refusals() == [(str(boss.id), "import", "rank")]


def test_the_last_active_admin_cannot_be_deactivated(runner: Any, admin: Any) -> None:
    result = runner.invoke(args=["users", "deactivate", admin.email])

    assert result.exit_code != 0
    assert "administrador activo" in result.output
    assert stored(admin).active


def test_an_admin_can_deactivate_another_admin_but_not_the_last(
    app: Any, admin: Any, make_user: Any, api_token: Any
) -> None:
    second = make_user(roles=["admin"], ministry="GT")
    client = app.test_client()

    done = client.post(f"/api/v1/staff/{second.id}/deactivation", headers=api_token(admin))

    assert done.status_code == 200
    assert not stored(second).active
    with pytest.raises(Exception, match="administrador activo"):
        users.set_roles(stored(admin), ["learner"], actor=None)


def test_two_admins_deactivating_each_other_at_once_leave_one_active(
    app: Any, make_user: Any, api_token: Any
) -> None:
    first = make_user(roles=["admin"], ministry="CR")
    second = make_user(roles=["admin"], ministry="GT")
    pairs = [(api_token(first), second.id), (api_token(second), first.id)]
    barrier = threading.Barrier(2, timeout=30)
    statuses: list[int] = []

    def deactivate(headers: dict[str, str], target: int) -> None:
        own = app.test_client()
        barrier.wait()
        statuses.append(
            own.post(f"/api/v1/staff/{target}/deactivation", headers=headers).status_code
        )

    threads = [threading.Thread(target=deactivate, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # One wins; the other finds itself the last admin (409) or already signed out (401).
    assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in {401, 409}
    assert [stored(first).active, stored(second).active].count(True) == 1
    assert len(audit_events("user.deactivated")) == 1


def test_users_reactivate_command(runner: Any, learner: Any) -> None:
    users.deactivate(learner, actor=None)
    db.session.commit()

    result = runner.invoke(args=["users", "reactivate", learner.email])

    assert result.exit_code == 0, result.output
    assert "can sign in again" in result.output
    assert stored(learner).active
    assert [e.action for e in audit_events()][-1] == "user.reactivated"


# --- Item 5: no raising one's own roles through the import -------------------------------


def test_the_import_does_not_change_the_importers_own_roles(
    as_coordinator: Any, coordinator: Any
) -> None:
    text = HEADER + f"{coordinator.email},{coordinator.full_name},,es,learner|coordinator|issuer\n"

    result = as_coordinator(
        "POST", "/api/v1/staff/import?mode=valid", data=text.encode(), content_type="text/csv"
    ).get_json()

    assert result["rows"][0]["problems"] == ["No puede cambiar sus propios roles."]
    assert stored(coordinator).roles == {Role.coordinator, Role.learner}
    assert refusals() == [(str(coordinator.id), "import", "self")]


# --- Item 6: another ministry's address answers like a new one ----------------------------


def _answer_shape(response: Any) -> tuple[int, list[str]]:
    return response.status_code, sorted(response.get_json())


def test_inviting_another_ministrys_address_answers_like_a_new_one(
    as_coordinator: Any, other_learner: Any
) -> None:
    new = as_coordinator(
        "POST", "/api/v1/staff", json={"email": "nadie@minex.gob.gt", "full_name": "Nueva"}
    )
    mails_before = len(outbox())
    foreign = as_coordinator(
        "POST", "/api/v1/staff", json={"email": other_learner.email, "full_name": "Intrusa"}
    )

    assert _answer_shape(foreign) == _answer_shape(new) == (201, sorted(new.get_json()))
    body = foreign.get_json()
    assert (body["email"], body["full_name"], body["roles"], body["active"]) == (
        other_learner.email,
        "Intrusa",
        ["learner"],
        True,
    )
    assert isinstance(body["id"], int) and body["id"] != other_learner.id
    # Nothing changed for the account, nobody was mailed, no account was created.
    after = stored(other_learner)
    assert (after.full_name, after.ministry.code) == (other_learner.full_name, "MX")
    assert len(outbox()) == mails_before
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 3
    # Only that ministry's log (and the administrators') tells of it.
    (event,) = audit_events("staff.address_elsewhere")
    assert event.ministry_id == other_learner.ministry_id
    assert event.target_id == str(other_learner.id)


def test_inviting_another_ministrys_address_from_the_page_flashes_the_same(
    client: Any, logged_in: Any, coordinator: Any, other_learner: Any
) -> None:
    logged_in(coordinator)
    pages = []
    for email in ["nadie@minex.gob.gt", other_learner.email]:
        response = post_form(
            client,
            "/coordination/staff/invite",
            {"email": email, "full_name": "Alguien", "roles": "learner"},
            token_from="/coordination/staff",
        )
        assert response.status_code == 302
        page = client.get("/coordination/staff").get_data(as_text=True)
        pages.append(page.count(f"Invitación enviada a {email}."))
    assert pages == [1, 1]
    assert stored(other_learner).full_name != "Alguien"


def test_importing_another_ministrys_address_previews_and_counts_like_a_new_one(
    as_coordinator: Any, other_learner: Any
) -> None:
    def run(email: str, mode: str) -> dict[str, Any]:
        text = HEADER + f"{email},Alguien Nuevo,,es,learner\n"
        return as_coordinator(
            "POST", f"/api/v1/staff/import?mode={mode}", data=text.encode(), content_type="text/csv"
        ).get_json()

    for mode in ["preview", "all"]:
        new, foreign = run(f"{mode}@minex.gob.gt", mode), run(other_learner.email, mode)
        for answer in (new, foreign):
            answer["rows"][0].pop("email")
        assert foreign == new
    after = stored(other_learner)
    assert (after.full_name, after.ministry.code) == (other_learner.full_name, "MX")


# --- Item 7: requests for another ministry's records leave a trace -----------------------


def test_naming_another_ministrys_record_is_audited(
    as_coordinator: Any, coordinator: Any, other_learner: Any
) -> None:
    response = as_coordinator("POST", f"/api/v1/staff/{other_learner.id}/deactivation")

    assert response.status_code == 404
    assert stored(other_learner).active
    (event,) = audit_events("authz.access_denied")
    assert (event.actor_id, event.ministry_id) == (coordinator.id, coordinator.ministry_id)
    assert (event.target_type, event.target_id) == ("User", str(other_learner.id))
    assert event.details == {"target_ministry_id": other_learner.ministry_id}
    assert event.occurred_at is not None and event.occurred_at.utcoffset() is not None


def test_an_unknown_id_is_not_audited(as_coordinator: Any) -> None:
    assert as_coordinator("POST", "/api/v1/staff/999999/deactivation").status_code == 404
    assert audit_events("authz.access_denied") == []


@with_settings(AUDIT_DENIALS_PER_MINUTE=3)
def test_probing_cannot_flood_the_log(as_coordinator: Any, make_user: Any) -> None:
    others = [make_user(roles=["learner"], ministry="MX") for _ in range(6)]

    for person in others:
        assert as_coordinator("POST", f"/api/v1/staff/{person.id}/deactivation").status_code == 404

    assert len(audit_events("authz.access_denied")) == 3


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Learner@GT.example.org ", "learner@gt.example.org"),
        ("my secret passphrase 2026", None),
    ],
)
def test_failed_sign_ins_keep_only_an_address_never_other_input(
    client: Any, learner: Any, typed: str, kept: str | None
) -> None:
    response = client.post("/api/v1/auth/tokens", json={"email": typed, "password": "wrong one!"})

    assert response.status_code == 401
    (event,) = audit_events("auth.login_failed")
    assert event.details["email"] == kept
    assert "secret passphrase" not in table_text("audit_event")
    assert PASSWORD not in table_text("audit_event")
