"""Backup and restore, rehearsed as the README's "Backup and restore" tells an operator:
``pg_dump --format=custom`` of a database with staff, completed programs, issued
certificates and an evidence file, the evidence folder copied, the source dropped,
``pg_restore`` into a fresh database, and the application started on it with the same
``KEY_ENCRYPTION_SECRET``: certificates verify, PDFs render, sign-ins work. With another
secret the application signs nothing and says why.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pypdf import PdfReader

from tests.processes import require_program
from tests.system_deploy.harness import (
    BACKUP_SOURCE_DATABASE,
    RESTORED_DATABASE,
    AppServer,
    Browser,
    Stack,
    app_servers,
    bearer,
    empty_database,
    flask,
    flask_run,
    libpq_url,
    production_environment,
    query,
    recreate_database,
    request,
)
from training.system.services import DEMO_PASSWORD

EVIDENCE_HOLDER = "carmen.batz@demo.gt"  # reported IOM's course, not yet reviewed
COORDINATOR = "coordinacion@demo.gt"
EVIDENCE = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b"constancia " * 50


@dataclass
class Restored:
    server: AppServer
    environment: dict[str, str]
    certificates: list[dict[str, Any]]  # code, serial, holder, email, ministry, signature
    evidence_url: str
    stack: Stack


def certificate_rows(database: str) -> list[dict[str, Any]]:
    rows = query(
        database,
        "SELECT c.code, c.serial, c.holder_name, u.email, m.code, c.signature, c.kid "
        "FROM certificate c JOIN user_account u ON u.id = c.user_id "
        "JOIN ministry m ON m.id = c.ministry_id ORDER BY c.serial",
    )
    names = ("code", "serial", "holder", "email", "ministry", "signature", "kid")
    return [dict(zip(names, row, strict=True)) for row in rows]


def add_evidence(url: str, folder: Path) -> str:
    """The learner attaches a PDF to her reported completion, through the API (an app of
    the test's own on the source database); returns the evidence's path on the API."""
    from training import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "EVIDENCE_PATH": str(folder), "RATELIMIT_ENABLED": False}
    )
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/tokens", json={"email": EVIDENCE_HOLDER, "password": DEMO_PASSWORD}
    ).get_json()["token"]
    headers = bearer(token)
    [reported] = client.get("/api/v1/me/external-completions", headers=headers).get_json()["items"]
    answer = client.post(
        f"/api/v1/external-courses/{reported['course_id']}/completion",
        data={"evidence": (io.BytesIO(EVIDENCE), "constancia.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.get_json()
    with app.app_context():
        from training.extensions import db

        db.session.remove()
        db.engine.dispose()
    return str(answer.get_json()["evidence"]["url"])


@pytest.fixture(scope="module")
def restored(stack: Stack, redis_url: str) -> Restored:
    pg_dump = require_program("pg_dump", "postgresql-client")
    pg_restore = require_program("pg_restore", "postgresql-client")
    folder = stack.folder
    # The restore's target is dropped and created anew meanwhile: dropping a database
    # makes PostgreSQL checkpoint, which takes a while on a busy machine.
    fresh_target = ThreadPoolExecutor(1).submit(recreate_database, RESTORED_DATABASE)

    # The production database, as the demo leaves it: staff, completed programs,
    # certificates issued and signed; plus an evidence file on disk.
    source = empty_database(BACKUP_SOURCE_DATABASE)
    evidence = folder / "evidence"
    seeding = production_environment(
        source, redis_url, TRAINING_ENV="development", EVIDENCE_PATH=str(evidence)
    )
    flask(seeding, "db", "upgrade")
    flask(seeding, "content", "sync")
    flask(seeding, "demo")  # refused in production; same secrets otherwise
    evidence_url = add_evidence(source, evidence)
    issued = certificate_rows(BACKUP_SOURCE_DATABASE)
    assert len(issued) >= 3

    # The backup: the database in pg_dump's custom format, and the evidence folder.
    dump = folder / "aula.dump"
    subprocess.run(
        [pg_dump, "--format=custom", f"--file={dump}", libpq_url(BACKUP_SOURCE_DATABASE)],
        check=True,
        timeout=120,
    )
    saved = folder / "backup-evidence"
    shutil.copytree(evidence, saved)
    # The disaster: both gone.
    empty_database(BACKUP_SOURCE_DATABASE)
    shutil.rmtree(evidence)

    # The restore: a fresh database of another name, the folder copied back elsewhere.
    target = fresh_target.result(timeout=300)
    subprocess.run(
        [
            pg_restore,
            "--no-owner",
            "--exit-on-error",
            f"--dbname={libpq_url(RESTORED_DATABASE)}",
            str(dump),
        ],
        check=True,
        timeout=120,
    )
    restored_evidence = folder / "restored-evidence"
    shutil.copytree(saved, restored_evidence)
    environment = production_environment(target, redis_url, EVIDENCE_PATH=str(restored_evidence))
    flask(environment, "db", "upgrade")  # nothing to do: the dump carried its revision
    assert "Every current signing key decrypts" in flask(environment, "certificates", "check-keys")
    [server] = app_servers(stack, environment, "restored")
    assert certificate_rows(RESTORED_DATABASE) == issued
    return Restored(server, environment, issued, evidence_url, stack)


def token_for(server: str, email: str) -> dict[str, str]:
    answer = request(
        "POST",
        server + "/api/v1/auth/tokens",
        body=json.dumps({"email": email, "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 201, answer.text[:300]
    return bearer(answer.json()["token"])


def test_certificates_still_verify(restored: Restored) -> None:
    server = restored.server.url
    for certificate in restored.certificates:
        data = request("GET", f"{server}/api/v1/verify/{certificate['code']}").json()
        page = request("GET", f"{server}/verify/{certificate['code']}")

        assert (data["status"], data["serial"], data["holder_name"]) == (
            "valid",
            certificate["serial"],
            certificate["holder"],
        )
        assert page.status == 200
        assert "Certificado válido" in page.text and certificate["holder"] in page.text


def test_signatures_check_against_the_published_keys(restored: Restored) -> None:
    """Each stored signature against the ministry's published key (as a verifier who
    trusts only that key would), and a credential signed after the restore."""
    from training import create_app
    from training.certificates import signing
    from training.certificates.models import Certificate
    from training.extensions import db

    server = restored.server.url
    app = create_app({"SQLALCHEMY_DATABASE_URI": restored.environment["DATABASE_URL"]})
    with app.app_context():
        for row in restored.certificates:
            jwks = request("GET", f"{server}/api/v1/ministries/{row['ministry']}/keys").json()
            [key] = [k for k in jwks["keys"] if k["kid"] == row["kid"]]
            public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["x"] + "=="))
            certificate = db.session.scalars(
                db.select(Certificate).where(Certificate.code == row["code"])
            ).one()
            signature = base64.urlsafe_b64decode(
                row["signature"] + "=" * (-len(row["signature"]) % 4)
            )
            public.verify(signature, signing.canonical(certificate))  # raises when it fails
        db.session.remove()
        db.engine.dispose()

    first = restored.certificates[0]
    credential = request(
        "GET",
        f"{server}/api/v1/certificates/{first['code']}/credential",
        headers=token_for(server, first["email"]),
    )
    assert credential.status == 200, credential.text[:300]
    header = jwt.get_unverified_header(credential.text)
    jwks = request("GET", f"{server}/api/v1/ministries/{first['ministry']}/keys").json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(credential.text, jwt.PyJWK(key).key, algorithms=["EdDSA"])
    assert first["code"] in json.dumps(claims)


def test_pdfs_still_render(restored: Restored) -> None:
    server = restored.server.url
    for certificate in restored.certificates[:2]:
        pdf = request(
            "GET",
            f"{server}/api/v1/certificates/{certificate['code']}/pdf",
            headers=token_for(server, certificate["email"]),
        )

        assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.body)).pages)
        assert certificate["holder"] in " ".join(text.split())
        assert certificate["serial"] in text


def test_sign_ins_still_work_and_the_evidence_is_there(restored: Restored) -> None:
    server = restored.server.url
    browser = Browser()
    assert browser.sign_in(server, COORDINATOR, DEMO_PASSWORD).status == 302
    assert browser.send("GET", server + "/").status == 200
    assert browser.sign_in(server, COORDINATOR, "not the password").status == 200  # refused

    evidence = request(
        "GET", server + restored.evidence_url, headers=token_for(server, COORDINATOR)
    )

    assert evidence.status == 200
    assert hashlib.sha256(evidence.body).digest() == hashlib.sha256(EVIDENCE).digest()


def test_another_key_encryption_secret_signs_nothing_and_says_why(restored: Restored) -> None:
    wrong = {**restored.environment, "KEY_ENCRYPTION_SECRET": "x" * 48}
    check = flask_run(wrong, "certificates", "check-keys")
    assert check.returncode == 1
    assert "KEY_ENCRYPTION_SECRET does not decrypt 2 signing key(s)" in check.stderr
    [server] = app_servers(restored.stack, wrong, "wrong-secret")
    first = restored.certificates[0]

    status_list = request(
        "GET", f"{server.url}/api/v1/ministries/{first['ministry']}/status/revocation"
    )
    credential = request(
        "GET",
        f"{server.url}/api/v1/certificates/{first['code']}/credential",
        headers=token_for(server.url, first["email"]),
    )
    verified = request("GET", f"{server.url}/api/v1/verify/{first['code']}").json()

    for refused in (status_list, credential):
        assert refused.status == 503
        assert refused.json()["code"] == "signing_key_unavailable"
    assert verified["status"] == "valid"  # what was issued verifies with public keys alone
    log = server.process.output()
    assert f"of ministry {first['ministry']} cannot be decrypted with KEY_ENCRYPTION_SECRET" in log
    assert "Traceback" not in log
    assert certificate_rows(RESTORED_DATABASE) == restored.certificates  # nothing rewritten
