"""Signing keys under another KEY_ENCRYPTION_SECRET (a database restored without its
secret): nothing is signed, the refusal says why, what was issued still verifies."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from training.certificates import keys
from training.certificates.models import Certificate, SigningKey
from training.extensions import db


@pytest.fixture
def wrong_secret(app: Any, graduate: Any) -> Certificate:
    """The graduate's certificate, once the app holds a secret its key was not made with."""
    certificate = db.session.scalars(db.select(Certificate)).one()
    app.config["KEY_ENCRYPTION_SECRET"] = "not the secret the key was encrypted with"
    return certificate


def test_signing_under_another_secret_is_refused_with_a_clear_error(
    client: Any, graduate: Any, wrong_secret: Certificate, api_token: Any, caplog: Any
) -> None:
    rows = db.session.execute(db.select(Certificate.id, Certificate.signature)).all()
    headers = api_token(graduate)

    with caplog.at_level(logging.ERROR):
        status_list = client.get("/api/v1/ministries/GT/status/revocation")
        credential = client.get(
            f"/api/v1/certificates/{wrong_secret.code}/credential", headers=headers
        )

    for response in (status_list, credential):
        assert response.status_code == 503
        assert response.get_json()["code"] == "signing_key_unavailable"
    logged = [r.getMessage() for r in caplog.records if "KEY_ENCRYPTION_SECRET" in r.getMessage()]
    assert len(logged) == 2
    assert "of ministry GT cannot be decrypted with KEY_ENCRYPTION_SECRET" in logged[0]
    assert not [r for r in caplog.records if r.exc_info]  # no traceback: not a bug
    # What was issued is untouched and still verifies (public keys need no secret).
    assert db.session.execute(db.select(Certificate.id, Certificate.signature)).all() == rows
    verified = client.get(f"/api/v1/verify/{wrong_secret.code}").get_json()
    assert verified["status"] == "valid"


def test_check_keys_names_the_keys_the_secret_does_not_decrypt(
    app: Any, runner: Any, graduate: Any
) -> None:
    key = db.session.scalars(db.select(SigningKey)).one()
    fine = runner.invoke(args=["certificates", "check-keys"])
    assert fine.exit_code == 0, fine.output
    assert keys.undecryptable_keys() == []

    app.config["KEY_ENCRYPTION_SECRET"] = "another secret"
    refused = runner.invoke(args=["certificates", "check-keys"])

    assert refused.exit_code == 1
    assert f"GT: signing key {key.kid} cannot be decrypted" in refused.output
    assert "KEY_ENCRYPTION_SECRET does not decrypt 1 signing key(s)" in refused.output


def test_check_keys_passes_with_no_key_yet(runner: Any, ministries: Any) -> None:
    result = runner.invoke(args=["certificates", "check-keys"])

    assert result.exit_code == 0, result.output


def test_a_completion_that_cannot_be_signed_is_refused_whole(
    client: Any, graduate: Any, make_user: Any, wrong_secret: Certificate, api_token: Any
) -> None:
    from tests.certificates.conftest import pass_module
    from training.progress import services as progress
    from training.quizzes.models import Attempt

    learner = make_user(roles=["learner"], ministry="GT")
    pass_module(learner, "alfa")
    view = progress.module_view(learner, "beta")
    for lesson in view.version.lessons:
        progress.mark_lesson_read(learner, "beta", lesson.number)
    attempt, _created = progress.start_attempt(learner, "beta")
    answers = [
        {
            "question": item.question.key,
            "choices": [c.key for c in item.question.choices if c.correct],
        }
        for item in attempt.items
    ]
    db.session.commit()

    response = client.post(
        f"/api/v1/attempts/{attempt.id}/submission",
        json={"answers": answers},
        headers=api_token(learner),
    )

    assert response.status_code == 503
    assert response.get_json()["code"] == "signing_key_unavailable"
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).status == "in_progress"  # sent again later
    assert db.session.scalars(db.select(Certificate)).all() == [wrong_secret]
