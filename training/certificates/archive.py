"""The issuers' ZIP of certificate PDFs, written to a file (a background export)."""

from __future__ import annotations

import zipfile
from typing import IO, Any

from flask import current_app

from training import authz
from training.accounts.models import User
from training.certificates import lookup, pdf
from training.exports import services as exports

ZIP_EXPORT = "certificates_zip"


def selection(actor: Any, params: dict[str, Any]) -> tuple[list[Any], int]:
    """The valid certificates matching the list's filters (``q``, ``cohort``), at most
    CERTIFICATE_ZIP_MAX of them, and how many match."""
    return lookup.for_staff(
        actor,
        status="valid",
        search=(params.get("q") or "")[:100] or None,
        cohort_id=params.get("cohort") or None,
        limit=int(current_app.config["CERTIFICATE_ZIP_MAX"]),
    )


def write_zip(rows: list[Any], handle: IO[bytes]) -> None:
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in rows:
            archive.writestr(f"{certificate.serial}.pdf", pdf.render(certificate))


def _write_export(user: User, params: dict[str, Any], language: str, handle: IO[bytes]) -> None:
    rows, _total = selection(user, params)
    write_zip(rows, handle)


exports.register(
    exports.Kind(
        ZIP_EXPORT, authz.Permission.view_certificates, "zip", "application/zip", _write_export
    )
)
