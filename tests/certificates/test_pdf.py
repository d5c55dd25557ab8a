"""The PDF read back by independent tools: text, QR code, PAdES signature."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pypdf import PdfReader

from training.certificates import issuing, lifecycle, pdf, signing
from training.certificates.models import Certificate
from training.errors import ValidationFailed
from training.extensions import db


def only(user: Any) -> Certificate:
    db.session.expire_all()
    return db.session.scalars(db.select(Certificate).where(Certificate.user_id == user.id)).one()


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_names_holder_serial_and_code(graduate: Any) -> None:
    certificate = only(graduate)
    data = pdf.render(certificate)
    text = text_of(data)
    assert graduate.full_name in text
    assert certificate.serial in text
    assert signing.display_code(certificate.code) in text
    assert "Programa de prueba" in text and "Test programme" in text
    reader = PdfReader(io.BytesIO(data))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = {
        str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
        for font in fonts.values()
        if "/FontFile2" in font.get_object().get("/FontDescriptor", {})
    }
    # Names are set in an embedded TrueType font (a subset), not a base-14 one.
    assert embedded == {"SourceSansPro-Regular", "SourceSansPro-Semibold"}


def test_the_same_certificate_renders_the_same_bytes(graduate: Any) -> None:
    certificate = only(graduate)
    assert pdf.render(certificate) == pdf.render(certificate)


def test_the_qr_code_leads_to_the_verification_page(
    graduate: Any, client: Any, tmp_path: Path
) -> None:
    certificate = only(graduate)
    (tmp_path / "c.pdf").write_bytes(pdf.render(certificate))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(tmp_path / "c.pdf"), str(tmp_path / "page")],
        check=True,
    )
    image = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert decoded == f"https://aula.example.org/verify/{certificate.code}"
    page = client.get(decoded.removeprefix("https://aula.example.org"))
    assert page.status_code == 200
    assert "Certificado válido" in page.get_data(as_text=True)


def test_a_revoked_certificate_renders_marked_revoked(graduate: Any, issuer: Any) -> None:
    certificate = only(graduate)
    lifecycle.revoke(issuer, certificate.code, "Datos del curso mal cargados", "issued_in_error")
    db.session.commit()
    text = text_of(pdf.render(only(graduate)))
    # The holder's document shows the public category, not the ministry's own note.
    assert "REVOCADO" in text and "Emitido por error" in text
    assert "mal cargados" not in text


@pytest.mark.parametrize(
    "name",
    [
        "José Ñúñez Pérez",
        "Zoë Łukasz-Ōtake",
        "Ana\u0301 Mari\u0301a",
        "Đặng Thị Hương",
        "Ségolène O'Brien-Çelik",
    ],
)
def test_latin_names_with_diacritics_print(graduate: Any, issuer: Any, name: str) -> None:
    certificate = lifecycle.reissue(issuer, only(graduate).code, holder_name=name)
    db.session.commit()
    text = text_of(pdf.render(certificate))
    expected = issuing.clean_holder_name(name)
    assert expected.replace(" ", "") in text.replace(" ", "")


@pytest.mark.parametrize("name", ["نور الهدى", "שרה כהן", "Ana \u202eevil"])
def test_names_the_font_cannot_print_are_refused_cleanly(
    graduate: Any, issuer: Any, client: Any, api_token: Any, name: str
) -> None:
    old = only(graduate)
    try:
        certificate = lifecycle.reissue(issuer, old.code, holder_name=name)
    except ValidationFailed:
        return  # refused at the door (not printable), nothing changed
    db.session.commit()
    with pytest.raises(ValidationFailed):
        pdf.render(certificate)
    response = client.get(
        f"/api/v1/certificates/{certificate.code}/pdf", headers=api_token(graduate)
    )
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_failed"


@pytest.fixture
def pades_folder(app: Any, tmp_path: Path) -> Path:
    """A self-signed signing certificate for Guatemala, as a PKCS#12 file."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GT"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ministerio de Relaciones Exteriores"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Firma de certificados de prueba"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "GT.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(b"gt", key, cert, None, serialization.NoEncryption())
    )
    (tmp_path / "root.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    app.config["PADES_SIGNERS_DIR"] = str(tmp_path)
    return tmp_path


def test_a_configured_ministry_gets_a_pades_signature_that_validates(
    graduate: Any, pades_folder: Path
) -> None:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    data = pdf.render(only(graduate))
    root = load_cert_from_pemder(str(pades_folder / "root.pem"))
    reader = PdfFileReader(io.BytesIO(data))
    (signature,) = reader.embedded_signatures
    # pyHanko's synchronous API runs its own event loop: give it a thread, since the
    # browser tests' driver may hold the main thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        status = pool.submit(
            validate_pdf_signature, signature, ValidationContext(trust_roots=[root])
        ).result()
    assert status.bottom_line, status.pretty_print_details()
    assert status.intact and status.valid

    (pades_folder / "signed.pdf").write_bytes(data)
    result = subprocess.run(
        ["pdfsig", str(pades_folder / "signed.pdf")], capture_output=True, text=True
    )
    assert "Signature Validation: Signature is Valid." in result.stdout, result.stdout
    assert "ETSI.CAdES.detached" in result.stdout
