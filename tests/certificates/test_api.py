"""Certificates over HTTP: downloads, public verification, keys, misuse."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from training.certificates.models import Certificate
from training.extensions import db


def only(user: Any) -> Certificate:
    db.session.expire_all()
    return db.session.scalars(db.select(Certificate).where(Certificate.user_id == user.id)).one()


def test_verification_shows_what_a_reader_needs_and_nothing_private(
    client: Any, graduate: Any
) -> None:
    certificate = only(graduate)
    body = client.get(f"/api/v1/verify/{certificate.code}").get_json()
    assert body["status"] == "valid"
    assert body["serial"] == certificate.serial
    assert body["holder_name"] == graduate.full_name
    assert body["ministry_code"] == "GT"
    assert body["hours"] == 3
    assert body["issued_at"].endswith("Z")
    # Minimal disclosure: no scores, no module list (they stay with holder and ministry).
    assert "modules" not in body and "score" not in str(body)
    assert body["revoked_at"] is None and body["revocation_reason"] is None
    text = str(body)
    assert graduate.email not in text
    assert "user_id" not in text and str(certificate.id) != body["serial"]


def test_verification_runs_one_query(client: Any, graduate: Any, queries: Any) -> None:
    certificate = only(graduate)
    with queries() as statements:
        response = client.get(f"/api/v1/verify/{certificate.code}")
    assert response.status_code == 200
    assert len(statements) == 1, statements


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"), id="flipped"),
        pytest.param(lambda c: "A" * 10_000, id="10kb"),
        pytest.param(lambda c: "x' OR '1'='1", id="sql"),
        pytest.param(lambda c: "%00" + c, id="nul"),
        pytest.param(lambda c: c + ";DROP TABLE certificate", id="sql-drop"),
    ],
)
def test_wrong_codes_all_get_the_same_404(client: Any, graduate: Any, mutate: Any) -> None:
    code = mutate(only(graduate).code)
    response = client.get(f"/api/v1/verify/{code}")
    assert response.status_code in (404, 400)
    if response.status_code == 404:
        assert response.get_json() == {
            "code": "not_found",
            "details": {},
            "message": "No existe ningún certificado con ese código.",
        }
    page = client.get(f"/verify/{code}")
    assert page.status_code in (404, 400)
    assert db.session.scalar(db.select(db.func.count(Certificate.id))) == 1


def test_verification_is_rate_limited(app: Any, client: Any, graduate: Any) -> None:
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    code = only(graduate).code
    statuses = [client.get(f"/api/v1/verify/{code}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_public_page_shows_revocation(
    client: Any, graduate: Any, issuer: Any, api_token: Any
) -> None:
    certificate = only(graduate)
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/revocation",
        headers=api_token(issuer),
        json={"reason": "Datos erróneos", "category": "issued_in_error"},
    )
    assert response.status_code == 200 and response.get_json()["status"] == "revoked"
    assert response.get_json()["revocation_reason"] == "Datos erróneos"  # the ministry sees it
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Certificado revocado" in page and "Emitido por error" in page
    # The free-text reason is internal to the ministry: not on the public page or API.
    assert "Datos erróneos" not in page
    body = client.get(f"/api/v1/verify/{certificate.code}").get_json()
    assert body["revocation_reason"] == "issued_in_error"
    assert body["revocation_label"] == "Emitido por error"
    assert "Datos erróneos" not in str(body)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"reason": ""}, 422),
        ({}, 422),
        ({"reason": "x" * 501}, 422),
        ({"reason": "ok", "extra": 1}, 422),
    ],
)
def test_revocation_input_is_validated(
    client: Any, graduate: Any, issuer: Any, api_token: Any, body: Any, status: int
) -> None:
    certificate = only(graduate)
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/revocation", headers=api_token(issuer), json=body
    )
    assert response.status_code == status
    assert only(graduate).status == "valid"


def test_revoking_twice_is_a_conflict(
    client: Any, graduate: Any, issuer: Any, api_token: Any
) -> None:
    headers = api_token(issuer)
    path = f"/api/v1/certificates/{only(graduate).code}/revocation"
    assert client.post(path, headers=headers, json={"reason": "uno"}).status_code == 200
    assert client.post(path, headers=headers, json={"reason": "dos"}).status_code == 409


def test_a_learner_cannot_revoke(client: Any, graduate: Any, api_token: Any) -> None:
    response = client.post(
        f"/api/v1/certificates/{only(graduate).code}/revocation",
        headers=api_token(graduate),
        json={"reason": "mío"},
    )
    assert response.status_code == 403
    assert only(graduate).status == "valid"


def test_another_ministry_cannot_download_or_revoke(
    client: Any, graduate: Any, make_user: Any, api_token: Any
) -> None:
    code = only(graduate).code
    for role in ("issuer", "coordinator", "learner"):
        headers = api_token(make_user(roles=[role], ministry="MX"))
        assert client.get(f"/api/v1/certificates/{code}/pdf", headers=headers).status_code == 404
    headers = api_token(make_user(roles=["issuer"], ministry="MX"))
    response = client.post(
        f"/api/v1/certificates/{code}/revocation", headers=headers, json={"reason": "no"}
    )
    assert response.status_code == 404
    assert only(graduate).status == "valid"


@pytest.mark.parametrize("role", ["coordinator", "issuer"])
def test_own_ministry_staff_download_the_pdf(
    client: Any, graduate: Any, make_user: Any, api_token: Any, role: str
) -> None:
    headers = api_token(make_user(roles=[role], ministry="GT"))
    response = client.get(f"/api/v1/certificates/{only(graduate).code}/pdf", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_the_credential_verifies_against_the_published_keys(
    client: Any, graduate: Any, api_token: Any
) -> None:
    certificate = only(graduate)
    response = client.get(
        f"/api/v1/certificates/{certificate.code}/credential", headers=api_token(graduate)
    )
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    jwks = client.get("/api/v1/ministries/gt/keys").get_json()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=["EdDSA"], options={"verify_aud": False}
    )
    assert "OpenBadgeCredential" in claims["type"]
    assert claims["validFrom"].endswith("Z")
    assert claims["credentialSubject"]["id"].startswith("urn:uuid:")
    assert graduate.email not in token and graduate.email not in str(claims)
    status = claims["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert status["statusListCredential"].endswith("/api/v1/ministries/GT/status/revocation")
    assert status["statusListIndex"] == str(certificate.status_index)
    assert claims["issuer"]["id"].endswith("/api/v1/ministries/GT")
    # A tampered token fails against the same key.
    head, payload, signature = token.split(".")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{payload[:-2]}AA.{signature}", jwt.PyJWK(key).key, algorithms=["EdDSA"])


def test_old_keys_stay_published_and_old_certificates_still_verify(
    client: Any, graduate: Any, runner: Any
) -> None:
    certificate = only(graduate)
    before = client.get("/api/v1/ministries/GT/keys").get_json()["keys"]
    result = runner.invoke(args=["ministries", "keygen", "GT"])
    assert result.exit_code == 0, result.output
    after = client.get("/api/v1/ministries/GT/keys").get_json()["keys"]
    assert len(after) == len(before) + 1
    assert {k["kid"] for k in before} <= {k["kid"] for k in after}
    assert all("d" not in k for k in after)  # never the private part
    assert client.get(f"/api/v1/verify/{certificate.code}").get_json()["status"] == "valid"


def test_keys_of_an_unknown_ministry_are_404(client: Any) -> None:
    assert client.get("/api/v1/ministries/ZZ/keys").status_code == 404


def test_my_certificates(client: Any, graduate: Any, api_token: Any, logged_in: Any) -> None:
    body = client.get("/api/v1/me/certificates", headers=api_token(graduate)).get_json()
    assert [item["status"] for item in body["items"]] == ["valid"]
    page = logged_in(graduate).get("/certificates")
    assert page.headers["Cache-Control"] == "no-store"
    assert only(graduate).serial in page.get_data(as_text=True)


def test_coordinators_see_the_list_but_cannot_act(
    client: Any, graduate: Any, coordinator: Any, api_token: Any
) -> None:
    headers = api_token(coordinator)
    listing = client.get("/api/v1/certificates", headers=headers).get_json()
    assert [item["serial"] for item in listing["items"]] == [only(graduate).serial]
    response = client.post(
        f"/api/v1/certificates/{only(graduate).code}/revocation",
        headers=headers,
        json={"reason": "no"},
    )
    assert response.status_code == 403


def test_the_issuer_sets_branding_and_policy(
    graduate: Any, issuer: Any, logged_in: Any, program: Any
) -> None:
    from tests.certificates.conftest import complete_program
    from tests.conftest import CSRF_PATTERN
    from tests.factories import create_user

    client = logged_in(issuer)
    page = client.get("/issuer/settings").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    bad = client.post(
        "/issuer/settings",
        data={
            "csrf_token": token,
            "signatory_name": "x",
            "signatory_title": "y",
            "serial_prefix": "no/slash",
            "approval": "automatic",
        },
    )
    assert bad.status_code == 422
    response = client.post(
        "/issuer/settings",
        data={
            "csrf_token": token,
            "signatory_name": "Lic. Marta Us Ajquijay",
            "signatory_title": "Directora General de Asuntos Consulares",
            "serial_prefix": "mrex",
            "approval": "manual",
        },
    )
    assert response.status_code == 302
    newcomer = create_user(roles=["learner"], ministry="GT")
    complete_program(newcomer)
    db.session.expire_all()
    pending = db.session.scalars(
        db.select(Certificate).where(Certificate.user_id == newcomer.id)
    ).one()
    assert pending.status == "pending"
    from training.certificates import lifecycle, pdf

    approved = lifecycle.approve(issuer, pending.code)
    db.session.commit()
    assert approved.serial.startswith("MREX-")
    import io

    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf.render(approved))).pages[0].extract_text()
    assert "Lic. Marta Us Ajquijay" in text
    assert "Directora General de Asuntos Consulares" in text
