"""The ministry's revocation status list, the key check in verification, the ZIP limits."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import jwt
import pytest
from sqlalchemy.exc import IntegrityError

from tests.certificates.conftest import complete_program
from tests.factories import set_ministry
from training.certificates import keys, lifecycle, signing, status_list
from training.certificates.models import Certificate
from training.extensions import db
from training.ministries.services import get_ministry


def only(user: Any) -> Certificate:
    db.session.expire_all()
    return db.session.scalars(db.select(Certificate).where(Certificate.user_id == user.id)).one()


def published_list(client: Any, ministry: str = "GT") -> tuple[dict[str, Any], bytes]:
    """The list's claims, verified against the ministry's published JWKS, and its bits."""
    response = client.get(f"/api/v1/ministries/{ministry}/status/revocation")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    jwks = client.get(f"/api/v1/ministries/{ministry}/keys").get_json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["EdDSA"])
    return claims, status_list.decode(claims["credentialSubject"]["encodedList"])


def test_revoking_sets_the_bit_in_the_signed_status_list(
    client: Any, graduate: Any, make_user: Any, issuer: Any, api_token: Any
) -> None:
    other = make_user(roles=["learner"], ministry="GT")
    complete_program(other)
    certificate, kept = only(graduate), only(other)
    credential = client.get(
        f"/api/v1/certificates/{certificate.code}/credential", headers=api_token(graduate)
    ).get_data(as_text=True)
    entry = jwt.decode(credential, options={"verify_signature": False})["credentialStatus"]
    claims, before = published_list(client)
    assert entry["statusListCredential"] == claims["id"]
    assert "BitstringStatusListCredential" in claims["type"]
    subject = claims["credentialSubject"]
    assert (subject["type"], subject["statusPurpose"]) == ("BitstringStatusList", "revocation")
    assert subject["encodedList"].startswith("u")  # multibase base64url
    assert len(before) * 8 >= 131_072  # at least 16 KB
    index = int(entry["statusListIndex"])
    assert not status_list.is_set(before, index)

    response = client.post(
        f"/api/v1/certificates/{certificate.code}/revocation",
        headers=api_token(issuer),
        json={"reason": "Datos del curso erróneos", "category": "issued_in_error"},
    )
    assert response.status_code == 200
    _claims, after = published_list(client)
    assert status_list.is_set(after, index)
    assert not status_list.is_set(after, kept.status_index)
    assert sum(bin(byte).count("1") for byte in after) == 1


def test_the_list_still_verifies_after_a_key_rotation(
    client: Any, graduate: Any, issuer: Any
) -> None:
    certificate = only(graduate)
    lifecycle.revoke(issuer, certificate.code, "error", "issued_in_error")
    signing.rotate_key(issuer)
    db.session.commit()
    _claims, bits = published_list(client)
    assert status_list.is_set(bits, certificate.status_index)


def test_status_lists_are_per_ministry(
    client: Any, graduate: Any, other_learner: Any, issuer: Any
) -> None:
    complete_program(other_learner)
    guatemalan, mexican = only(graduate), only(other_learner)
    assert guatemalan.status_index == mexican.status_index == 0  # each list starts at 0
    lifecycle.revoke(issuer, guatemalan.code, "error", "other")
    db.session.commit()
    _claims, bits = published_list(client, "MX")
    assert not status_list.is_set(bits, mexican.status_index)
    assert client.get("/api/v1/ministries/ZZ/status/revocation").status_code == 404
    # A ministry that never issued has no key and no list yet.
    response = client.get("/api/v1/ministries/PA/status/revocation")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_the_status_index_is_unique_per_ministry_in_the_database(
    graduate: Any, make_user: Any
) -> None:
    other = make_user(roles=["learner"], ministry="GT")
    complete_program(other)
    first, second = only(graduate), only(other)
    assert {first.status_index, second.status_index} == {0, 1}
    second.status_index = first.status_index
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_pending_certificate_has_no_index_until_approved(
    learner: Any, issuer: Any, program: Any
) -> None:
    set_ministry("GT", certificate_approval="manual")
    complete_program(learner)
    assert only(learner).status_index is None
    lifecycle.approve(issuer, only(learner).code)
    db.session.commit()
    assert only(learner).status_index == 0


def test_a_certificate_signed_with_another_ministrys_key_is_invalid(graduate: Any) -> None:
    certificate = only(graduate)
    foreign = keys.generate(get_ministry("MX"))
    certificate.kid = foreign.kid
    certificate.signature = keys.sign(foreign, signing.canonical(certificate))
    db.session.commit()
    # The signature is genuine, but the key is not the certificate's ministry's.
    assert signing.signature_valid(certificate, foreign)
    assert signing.verify(certificate.code).status == "invalid"


def test_revocation_categories_are_validated(
    client: Any, graduate: Any, issuer: Any, api_token: Any
) -> None:
    path = f"/api/v1/certificates/{only(graduate).code}/revocation"
    response = client.post(
        path, headers=api_token(issuer), json={"reason": "x", "category": "whim"}
    )
    assert response.status_code == 422
    assert "category" in response.get_json()["details"]["fields"]
    assert only(graduate).status == "valid"
    # Without a category the revocation is public as "other".
    assert client.post(path, headers=api_token(issuer), json={"reason": "x"}).status_code == 200
    assert (
        client.get(f"/api/v1/verify/{only(graduate).code}").get_json()["revocation_reason"]
        == "other"
    )


def test_the_holder_sees_the_category_not_the_ministrys_note(
    client: Any, graduate: Any, issuer: Any, api_token: Any
) -> None:
    lifecycle.revoke(issuer, only(graduate).code, "Nota interna del ministerio", "misconduct")
    db.session.commit()
    (item,) = client.get("/api/v1/me/certificates", headers=api_token(graduate)).get_json()["items"]
    assert item["revocation_category"] == "misconduct"
    assert "Nota interna" not in str(item)
    listing = client.get("/api/v1/certificates", headers=api_token(issuer)).get_json()
    assert listing["items"][0]["revocation_reason"] == "Nota interna del ministerio"


def test_the_zip_is_bounded_with_a_message_to_filter(
    app: Any, graduate: Any, make_user: Any, issuer: Any, logged_in: Any
) -> None:
    complete_program(make_user(roles=["learner"], ministry="GT"))
    client = logged_in(issuer)
    app.config["CERTIFICATE_ZIP_MAX"] = 1
    refused = client.get("/issuer/certificates.zip")
    assert refused.status_code == 422
    assert "cohorte" in refused.get_data(as_text=True)
    app.config["CERTIFICATE_ZIP_MAX"] = 2
    response = client.get("/issuer/certificates.zip")
    assert response.status_code == 200
    assert len(zipfile.ZipFile(io.BytesIO(response.data)).namelist()) == 2


def test_the_zip_is_rate_limited_per_user(
    app: Any, graduate: Any, make_user: Any, issuer: Any, logged_in: Any
) -> None:
    app.config["CERTIFICATE_ZIP_RATE_LIMIT"] = "2 per minute"
    client = logged_in(issuer)
    statuses = [client.get("/issuer/certificates.zip").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    client.get("/logout")
    colleague = make_user(roles=["issuer"], ministry="GT")
    other = app.test_client()
    from tests.conftest import login

    assert login(other, colleague).status_code == 302
    assert other.get("/issuer/certificates.zip").status_code == 200
