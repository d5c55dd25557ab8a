"""Issuing exactly once, numbering without gaps, signing, revoking and re-issuing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, text

from tests.certificates.conftest import complete_program
from tests.factories import set_ministry
from training.audit.models import AuditEvent
from training.certificates import issuing, lifecycle, lookup, signing
from training.certificates.models import Certificate
from training.errors import Conflict, Forbidden, NotFound, ValidationFailed
from training.extensions import db


def certificates_of(user: Any) -> list[Certificate]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Certificate).where(Certificate.user_id == user.id)))


def test_completing_the_program_issues_one_signed_certificate(graduate: Any) -> None:
    (certificate,) = certificates_of(graduate)
    year = datetime.now(UTC).year
    assert certificate.status == "valid"
    assert certificate.serial == f"GT-{year}-000001"
    assert len(certificate.code) == 26
    assert [m["slug"] for m in certificate.modules] == ["alfa", "beta"]
    assert all(m["score"] == 100 for m in certificate.modules)
    assert signing.verify(certificate.code).status == "valid"
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "certificate.issued" in actions


def test_manual_approval_queues_then_an_issuer_issues(
    learner: Any, issuer: Any, program: Any
) -> None:
    set_ministry("GT", certificate_approval="manual")
    complete_program(learner)
    (pending,) = certificates_of(learner)
    assert (pending.status, pending.serial) == ("pending", None)
    with pytest.raises(NotFound):
        signing.verify(pending.code)
    approved = lifecycle.approve(issuer, pending.code)
    db.session.commit()
    assert approved.status == "valid" and approved.serial.endswith("-000001")
    with pytest.raises(Conflict):
        lifecycle.approve(issuer, pending.code)


def test_concurrent_triggers_issue_one_certificate(app: Any, learner: Any, program: Any) -> None:
    complete_program(learner)
    (first,) = certificates_of(learner)
    first_code = first.code
    # Start again from the completion, without the certificate the signal issued.
    db.session.execute(text("DELETE FROM certificate"))
    db.session.commit()
    # Plain ids: the threads must not touch this session's objects.
    user_id, program_id = learner.id, program.id
    user_type, program_type = type(learner), type(program)
    db.session.rollback()
    barrier = threading.Barrier(4, timeout=30)
    codes: list[str] = []
    errors: list[BaseException] = []

    def trigger() -> None:
        with app.app_context():
            try:
                user = db.session.get(user_type, user_id)
                barrier.wait()
                certificate = issuing.request_certificate(
                    user, db.session.get(program_type, program_id)
                )
                db.session.commit()
                codes.append(certificate.code)
            except BaseException as error:  # collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=trigger) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    stored = certificates_of(learner)
    assert len(stored) == 1
    assert set(codes) == {stored[0].code}
    assert first_code != stored[0].code


def test_serials_have_no_gaps_under_concurrency(app: Any, make_user: Any, program: Any) -> None:
    learners = [make_user(roles=["learner"], ministry="GT") for _ in range(6)]
    set_ministry("GT", certificate_approval="manual")
    for person in learners:
        complete_program(person)
    pending = [c.id for c in db.session.scalars(db.select(Certificate))]
    issuer = make_user(roles=["issuer"], ministry="GT")
    issuer_id, issuer_type = issuer.id, type(issuer)
    db.session.rollback()  # end this session's transaction before the threads write
    barrier = threading.Barrier(len(pending), timeout=30)
    errors: list[BaseException] = []

    def approve(certificate_id: int) -> None:
        with app.app_context():
            try:
                actor = db.session.get(issuer_type, issuer_id)
                barrier.wait()
                lifecycle.approve(actor, certificate_id)
                db.session.commit()
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=approve, args=(cid,)) for cid in pending]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    numbers = sorted(
        int(s.rsplit("-", 1)[1]) for s in db.session.scalars(db.select(Certificate.serial))
    )
    assert numbers == list(range(1, len(pending) + 1))


def test_an_edited_row_no_longer_verifies(graduate: Any) -> None:
    (certificate,) = certificates_of(graduate)
    db.session.execute(text("UPDATE certificate SET holder_name = 'Otra Persona'"))
    db.session.commit()
    assert signing.verify(certificate.code).status == "invalid"


def test_revoke_requires_a_reason_once_and_keeps_the_record(graduate: Any, issuer: Any) -> None:
    (certificate,) = certificates_of(graduate)
    with pytest.raises(ValidationFailed):
        lifecycle.revoke(issuer, certificate.code, "   ")
    lifecycle.revoke(issuer, certificate.code, "Error en los datos del curso")
    db.session.commit()
    with pytest.raises(Conflict):
        lifecycle.revoke(issuer, certificate.code, "otra vez")
    result = signing.verify(certificate.code)
    assert result.status == "revoked"
    assert result.certificate.revocation_reason == "Error en los datos del curso"
    audit = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "certificate.revoked")
    ).one()
    assert audit.actor_id == issuer.id and audit.details["reason"].startswith("Error")


def test_reissue_links_old_and_new_with_the_corrected_name(graduate: Any, issuer: Any) -> None:
    (old,) = certificates_of(graduate)
    new = lifecycle.reissue(
        issuer, old.code, holder_name="Persona Número Corregida", reason="corrección del nombre"
    )
    db.session.commit()
    assert new.replaces_id == old.id
    assert new.holder_name == "Persona Número Corregida"
    assert signing.verify(old.code).status == "revoked"
    assert signing.verify(old.code).certificate.revocation_reason == "reissued"
    assert signing.verify(new.code).status == "valid"
    assert new.serial.endswith("-000002")
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "certificate.reissued" in actions


@pytest.mark.parametrize("role", ["learner", "coordinator"])
def test_only_issuers_act_on_certificates(graduate: Any, make_user: Any, role: str) -> None:
    (certificate,) = certificates_of(graduate)
    actor = make_user(roles=[role], ministry="GT")
    for action in (
        lambda: lifecycle.revoke(actor, certificate.code, "x"),
        lambda: lifecycle.approve(actor, certificate.code),
        lambda: lifecycle.reissue(actor, certificate.code),
    ):
        with pytest.raises(Forbidden):
            action()


def test_another_ministrys_issuer_gets_404(graduate: Any, make_user: Any) -> None:
    (certificate,) = certificates_of(graduate)
    foreign = make_user(roles=["issuer"], ministry="MX")
    with pytest.raises(NotFound):
        lifecycle.revoke(foreign, certificate.code, "x")
    with pytest.raises(NotFound):
        lookup.own_or_staff(foreign, certificate.code)
    assert (
        db.session.scalar(
            db.select(func.count(Certificate.id)).where(Certificate.status == "revoked")
        )
        == 0
    )


@pytest.mark.parametrize(
    "code", ["", "x", "A" * 10_000, "' OR 1=1 --", "ABCDEFGHJK" * 3, "abc%", None, 12]
)
def test_codes_that_are_not_codes_are_not_found(graduate: Any, code: Any) -> None:
    with pytest.raises(NotFound):
        signing.verify(code)


def test_a_code_is_typed_in_any_case_with_dashes(graduate: Any) -> None:
    (certificate,) = certificates_of(graduate)
    typed = signing.display_code(certificate.code).lower()
    assert signing.verify(typed).status == "valid"
