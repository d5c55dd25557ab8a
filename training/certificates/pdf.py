"""The certificate as a PDF: A4 landscape, the ministry's branding, the holder's name in
an embedded font, the modules, the serial, the signatory, and a QR code to the public
verification page with the code printed beside it.

Rendering is deterministic (ReportLab's invariant mode): the same certificate always
gives the same bytes, until a PAdES signature is added by a :data:`SIGNERS` entry.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import font_source_sans_pro
import segno
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from training.catalog.models import in_language
from training.certificates.lifecycle import category_label
from training.certificates.models import REVOKED, Certificate
from training.certificates.signing import display_code
from training.errors import ValidationFailed

REGULAR, BOLD = "AulaSans", "AulaSans-Semibold"
BRAND = HexColor("#0b4f6c")
INK = HexColor("#1b1f24")
MUTED = HexColor("#4a5560")


@cache
def _fonts() -> TTFont:
    files = font_source_sans_pro.font_files_ttf
    regular = TTFont(REGULAR, files["SourceSansPro"])
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(BOLD, files["SourceSansProSemibold"]))
    return regular


def printable(text: str) -> bool:
    """True when the embedded font has a glyph for every character of ``text``."""
    glyphs = _fonts().face.charToGlyph
    return all(ord(ch) in glyphs or ch.isspace() for ch in text)


def verification_url(certificate: Certificate) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/verify/{certificate.code}"


def _second_language(language: str) -> str:
    return "en" if language == "es" else "es"


def _texts(language: str, certificate: Certificate) -> dict[str, str]:
    program = certificate.program
    with force_locale(language):
        return {
            "title": _("Certificado"),
            "certifies": _("certifica que"),
            "completed": _(
                "completó el %(program)s (versión %(version)d)",
                program=in_language(program.title, language),
                version=program.version,
            ),
            "hours": ngettext(
                "%(num)d hora de formación", "%(num)d horas de formación", certificate.hours
            ),
            "issued": _(
                "Emitido el %(date)s",
                date=certificate.issued_at.strftime("%Y-%m-%d") if certificate.issued_at else "—",
            ),
            "serial": _("Número de serie"),
            "code": _("Código de verificación"),
            "verify": _("Verifique este certificado en"),
            "modules": _("Módulos aprobados"),
            "revoked": _("REVOCADO"),
            # The public category, never the ministry's internal free-text reason.
            "revoked_because": category_label(certificate.revocation_category),
        }


def render(certificate: Certificate) -> bytes:
    """The PDF of ``certificate`` in the holder's language, with Spanish or English
    alongside. Raises ValidationFailed when the name cannot be printed with the font."""
    _fonts()
    if not printable(certificate.holder_name):
        raise ValidationFailed(
            _(
                "El nombre contiene caracteres que el certificado no puede imprimir. Pida a su "
                "coordinación que lo escriba con el alfabeto latino."
            ),
            details={"fields": {"holder_name": ["unsupported characters"]}},
        )
    language = certificate.language
    other = _second_language(language)
    main, alongside = _texts(language, certificate), _texts(other, certificate)
    ministry = certificate.ministry
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    pdf.setTitle(f"{main['title']} {certificate.serial}")
    pdf.setAuthor(ministry.name(language))
    pdf.setSubject(in_language(certificate.program.title, language))
    pdf.setCreator("Aula Consular")

    pdf.setFillColor(BRAND)
    pdf.rect(0, height - 70, width, 70, stroke=0, fill=1)
    pdf.setFillColor(HexColor("#ffffff"))
    pdf.setFont(BOLD, 18)
    pdf.drawString(40, height - 38, ministry.name(language))
    pdf.setFont(REGULAR, 11)
    pdf.drawString(40, height - 56, ministry.name(other))

    pdf.setFillColor(INK)
    pdf.setFont(BOLD, 30)
    pdf.drawCentredString(width / 2, height - 125, main["title"])
    pdf.setFont(REGULAR, 12)
    pdf.setFillColor(MUTED)
    pdf.drawCentredString(width / 2, height - 143, alongside["title"])
    pdf.setFillColor(INK)
    pdf.setFont(REGULAR, 13)
    pdf.drawCentredString(width / 2, height - 172, f"{ministry.name(language)} {main['certifies']}")
    pdf.setFont(BOLD, 28)
    pdf.drawCentredString(width / 2, height - 210, certificate.holder_name)
    pdf.setFont(REGULAR, 13)
    pdf.drawCentredString(width / 2, height - 238, main["completed"])
    pdf.setFont(REGULAR, 10)
    pdf.setFillColor(MUTED)
    pdf.drawCentredString(width / 2, height - 253, alongside["completed"])
    pdf.setFillColor(INK)
    pdf.setFont(BOLD, 12)
    pdf.drawCentredString(width / 2, height - 275, f"{main['hours']} · {alongside['hours']}")

    pdf.setFont(BOLD, 10)
    pdf.drawString(60, height - 310, f"{main['modules']} / {alongside['modules']}")
    pdf.setFont(REGULAR, 9)
    for index, module in enumerate(certificate.modules):
        column, row = divmod(index, 5)
        x = 60 + column * 380
        y = height - 328 - row * 15
        title = in_language(module.get("title"), language)
        if len(title) > 62:
            title = title[:60] + "…"
        pdf.drawString(x, y, f"{index + 1}. {title} — {module.get('score', '')} %")

    pdf.setFont(BOLD, 11)
    pdf.drawString(60, 120, ministry.signatory_name or "")
    pdf.setFont(REGULAR, 10)
    pdf.drawString(60, 106, ministry.signatory_title or "")
    pdf.line(60, 135, 300, 135)
    pdf.setFont(REGULAR, 10)
    pdf.drawString(60, 80, f"{main['issued']} · {alongside['issued']}")
    pdf.drawString(60, 66, f"{main['serial']} / {alongside['serial']}: {certificate.serial}")

    url = verification_url(certificate)
    _draw_qr(pdf, url, x=width - 175, y=40, size=120)
    pdf.setFont(REGULAR, 8)
    pdf.drawRightString(width - 185, 140, f"{main['verify']} / {alongside['verify']}")
    pdf.drawRightString(width - 185, 128, url)
    pdf.setFont(BOLD, 10)
    pdf.drawRightString(width - 185, 110, f"{main['code']}:")
    pdf.setFont("Courier-Bold", 11)
    pdf.drawRightString(width - 185, 96, display_code(certificate.code))

    if certificate.status == REVOKED:
        pdf.saveState()
        pdf.setFillColor(Color(0.7, 0.1, 0.1, alpha=0.35))
        pdf.setFont(BOLD, 90)
        pdf.translate(width / 2, height / 2)
        pdf.rotate(25)
        pdf.drawCentredString(0, 0, main["revoked"])
        pdf.restoreState()
        pdf.setFillColor(HexColor("#b3261e"))
        pdf.setFont(BOLD, 12)
        pdf.drawCentredString(width / 2, 160, f"{main['revoked']}: {main['revoked_because']}")
    pdf.showPage()
    pdf.save()
    data = buffer.getvalue()
    return sign_pdf(data, certificate)


def _draw_qr(pdf: Canvas, data: str, *, x: float, y: float, size: float) -> None:
    # A fixed mask skips scoring all eight (a fifth of the rendering time); any mask
    # gives a valid code that phones read.
    qr = segno.make(data, error="m", mask=4)
    matrix = list(qr.matrix)
    modules = len(matrix) + 8  # a quiet zone of four modules on each side
    cell = size / modules
    pdf.setFillColor(HexColor("#ffffff"))
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColor(HexColor("#000000"))
    path = pdf.beginPath()
    for row_index, row in enumerate(matrix):
        # One rectangle per run of dark modules: a third of the drawing operations.
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(
                x + (start + 4) * cell,
                y + size - (row_index + 5) * cell,
                (column - start) * cell,
                cell,
            )
    pdf.drawPath(path, stroke=0, fill=1)


# --- PAdES signatures: a registry of signers, chosen by what the ministry configured ----

Signer = Callable[[bytes, Path, str | None], bytes]
SIGNERS: dict[str, Signer] = {}


def signer(suffix: str) -> Callable[[Signer], Signer]:
    def register(function: Signer) -> Signer:
        SIGNERS[suffix] = function
        return function

    return register


@signer(".p12")
def _pkcs12(data: bytes, path: Path, passphrase: str | None) -> bytes:
    from pyhanko.sign import signers

    loaded = signers.SimpleSigner.load_pkcs12(
        str(path), passphrase=passphrase.encode() if passphrase else None
    )
    if loaded is None:
        raise RuntimeError(f"cannot load the PKCS#12 file {path}")
    return _pades(data, loaded)


@signer(".pem")
def _pem(data: bytes, path: Path, passphrase: str | None) -> bytes:
    from pyhanko.sign import signers

    # <CODE>.pem holds the private key; <CODE>.crt.pem (beside it) the certificate chain.
    loaded = signers.SimpleSigner.load(
        str(path),
        str(path.with_suffix(".crt.pem")),
        key_passphrase=passphrase.encode() if passphrase else None,
    )
    if loaded is None:
        raise RuntimeError(f"cannot load the PEM key {path}")
    return _pades(data, loaded)


def _pades(data: bytes, loaded: object) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    metadata = signers.PdfSignatureMetadata(
        field_name="AulaConsular",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Certificado emitido por Aula Consular",
    )

    async def sign() -> bytes:
        output = await signers.async_sign_pdf(writer, metadata, signer=loaded)  # type: ignore[arg-type]
        return bytes(output.getvalue())

    # pyHanko signs with asyncio; a thread of its own gives it a loop even when the caller
    # already runs one (an async server, or a test browser driver).
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, sign()).result()


def signing_material(ministry_code: str) -> tuple[Path, str | None] | None:
    """The ministry's PAdES key file in ``PADES_SIGNERS_DIR``, if it configured one:
    ``<CODE>.p12``, or ``<CODE>.pem`` with ``<CODE>.crt.pem``; the passphrase comes from
    the environment variable ``PADES_PASSPHRASE_<CODE>``."""
    folder = current_app.config.get("PADES_SIGNERS_DIR")
    if not folder:
        return None
    for suffix in SIGNERS:
        path = Path(folder) / f"{ministry_code}{suffix}"
        if path.is_file():
            return path, os.environ.get(f"PADES_PASSPHRASE_{ministry_code}")
    return None


def sign_pdf(data: bytes, certificate: Certificate) -> bytes:
    material = signing_material(certificate.ministry.code)
    if material is None:
        return data
    path, passphrase = material
    return SIGNERS[path.suffix](data, path, passphrase)
