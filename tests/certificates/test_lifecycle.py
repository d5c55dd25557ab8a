"""Certificate state transitions under concurrency, and separation of duties.

The races run real threads, each with its own application context, session and
database connection, released together by a barrier (on PostgreSQL and SQLite alike).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func

from tests.certificates.conftest import complete_program
from tests.factories import set_ministry
from training.accounts.models import User
from training.audit.models import AuditEvent
from training.certificates import lifecycle
from training.certificates.models import Certificate
from training.errors import Conflict, Forbidden
from training.extensions import db


def race(app: Any, actor_id: int, *actions: Callable[[User], Any]) -> list[Any]:
    """Run each action as ``actor_id`` in a thread of its own, all released at once;
    each outcome is the action's result or the exception it raised."""
    db.session.rollback()  # this session holds no transaction while the threads write
    barrier = threading.Barrier(len(actions), timeout=30)
    outcomes: list[Any] = [None] * len(actions)

    def run(position: int, action: Callable[[User], Any]) -> None:
        with app.app_context():
            try:
                actor = db.session.get_one(User, actor_id)
                barrier.wait()
                result = action(actor)
                db.session.commit()
                outcomes[position] = result.id if isinstance(result, Certificate) else result
            except BaseException as error:  # collected and asserted by the caller
                db.session.rollback()
                outcomes[position] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    return outcomes


def audit_count(action: str) -> int:
    return (
        db.session.scalar(db.select(func.count(AuditEvent.id)).where(AuditEvent.action == action))
        or 0
    )


def certificates(user: Any) -> list[Certificate]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
        )
    )


@pytest.fixture
def manual(program: Any) -> None:
    set_ministry("GT", certificate_approval="manual")


def test_two_approvals_at_once_issue_one_serial_and_one_audit_record(
    app: Any, make_user: Any, issuer: Any, manual: None
) -> None:
    first, second = (make_user(roles=["learner"], ministry="GT") for _ in range(2))
    complete_program(first)
    complete_program(second)
    (pending,) = certificates(first)
    code = pending.code
    outcomes = race(
        app,
        issuer.id,
        lambda actor: lifecycle.approve(actor, code),
        lambda actor: lifecycle.approve(actor, code),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "int"], outcomes
    assert audit_count("certificate.issued") == 1
    (approved,) = certificates(first)
    assert approved.status == "valid" and approved.serial.endswith("-000001")
    # The loser burned no number: the next approval takes 2.
    (other,) = certificates(second)
    assert lifecycle.approve(issuer, other.code).serial.endswith("-000002")
    db.session.commit()
    assert sorted(c.status_index for c in (*certificates(first), *certificates(second))) == [0, 1]


def test_two_revocations_at_once_write_one_audit_record(
    app: Any, graduate: Any, issuer: Any
) -> None:
    (certificate,) = certificates(graduate)
    code = certificate.code
    outcomes = race(
        app,
        issuer.id,
        lambda actor: lifecycle.revoke(actor, code, "primero", "misconduct"),
        lambda actor: lifecycle.revoke(actor, code, "segundo", "holder_request"),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "int"], outcomes
    assert audit_count("certificate.revoked") == 1
    (revoked,) = certificates(graduate)
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "certificate.revoked")
    ).one()
    # The record and its audit event tell the same story (the winner's).
    assert revoked.status == "revoked"
    assert (revoked.revocation_reason, revoked.revocation_category) == (
        event.details["reason"],
        event.details["category"],
    )


def test_a_reissue_racing_a_revocation_never_revives_the_revoked_certificate(
    app: Any, graduate: Any, issuer: Any
) -> None:
    (certificate,) = certificates(graduate)
    code = certificate.code
    outcomes = race(
        app,
        issuer.id,
        lambda actor: lifecycle.reissue(actor, code, holder_name="Nombre Corregido"),
        lambda actor: lifecycle.revoke(actor, code, "fraude", "misconduct"),
    )
    reissued, revoked = outcomes
    # Exactly one of the two transitions happened, with one audit record.
    assert [isinstance(o, Conflict) for o in outcomes].count(True) == 1, outcomes
    assert audit_count("certificate.reissued") + audit_count("certificate.revoked") == 1
    rows = certificates(graduate)
    old = rows[0]
    assert old.status == "revoked"
    if isinstance(reissued, Conflict):
        # The revocation won: no replacement comes out of a revoked certificate.
        assert len(rows) == 1 and old.revocation_category == "misconduct"
    else:
        # The re-issue won: the old one is superseded, the revocation was refused.
        assert isinstance(revoked, Conflict)
        assert old.revocation_category == "superseded"
        assert [(c.status, c.replaces_id) for c in rows[1:]] == [("valid", old.id)]


def test_a_revoked_certificate_is_not_reissued(graduate: Any, issuer: Any) -> None:
    (certificate,) = certificates(graduate)
    lifecycle.revoke(issuer, certificate.code, "fraude", "misconduct")
    db.session.commit()
    with pytest.raises(Conflict):
        lifecycle.reissue(issuer, certificate.code)
    db.session.rollback()
    assert [c.status for c in certificates(graduate)] == ["revoked"]


def refusals() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "certificate.self_action_refused")
        )
    )


@pytest.mark.parametrize("roles", [["issuer", "learner"], ["admin", "learner"]])
def test_nobody_approves_their_own_certificate(
    make_user: Any, manual: None, roles: list[str]
) -> None:
    person = make_user(roles=roles, ministry="GT")
    complete_program(person)
    (pending,) = certificates(person)
    with pytest.raises(Forbidden):
        lifecycle.approve(person, pending.code)
    db.session.rollback()  # as a request that fails does
    assert certificates(person)[0].status == "pending"
    (event,) = refusals()
    assert (event.actor_id, event.target_id) == (person.id, str(pending.id))
    assert event.details["action"] == "approve"


def test_nobody_reissues_their_own_certificate(
    client: Any, make_user: Any, program: Any, api_token: Any
) -> None:
    person = make_user(roles=["issuer", "learner"], ministry="GT")
    complete_program(person)
    (certificate,) = certificates(person)
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/reissue",
        headers=api_token(person),
        json={"holder_name": "Otro Nombre"},
    )
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"
    assert [(c.status, c.holder_name) for c in certificates(person)] == [
        ("valid", person.full_name)
    ]
    (event,) = refusals()
    assert event.actor_id == person.id and event.details["action"] == "reissue"


def test_own_approval_over_http_is_403_and_another_issuer_may_approve(
    client: Any, make_user: Any, issuer: Any, manual: None, api_token: Any
) -> None:
    person = make_user(roles=["issuer", "learner"], ministry="GT")
    complete_program(person)
    (pending,) = certificates(person)
    path = f"/api/v1/certificates/{pending.code}/approval"
    assert client.post(path, headers=api_token(person)).status_code == 403
    assert certificates(person)[0].status == "pending"
    assert client.post(path, headers=api_token(issuer)).status_code == 200
    assert certificates(person)[0].status == "valid"


def test_bulk_issuing_skips_the_issuers_own_certificate(
    make_user: Any, manual: None, program: Any
) -> None:
    from training.certificates import issuing

    person = make_user(roles=["issuer", "learner"], ministry="GT")
    learner = make_user(roles=["learner"], ministry="GT")
    complete_program(person)
    complete_program(learner)
    assert issuing._issue_all(issuing._completers(person.ministry_id), person) == 1
    db.session.commit()
    assert certificates(person)[0].status == "pending"
    assert certificates(learner)[0].status == "valid"


def test_own_approval_from_the_issuers_page_is_refused_and_audited(
    make_user: Any, manual: None, logged_in: Any
) -> None:
    from tests.conftest import csrf_token

    person = make_user(roles=["issuer", "learner"], ministry="GT")
    complete_program(person)
    (pending,) = certificates(person)
    client = logged_in(person)
    token = csrf_token(client, "/issuer/certificates")
    response = client.post(
        f"/issuer/certificates/{pending.code}/approve", data={"csrf_token": token}
    )
    assert response.status_code == 403
    assert certificates(person)[0].status == "pending"
    (event,) = refusals()
    assert event.actor_id == person.id and event.details["action"] == "approve"
