"""Completion evidence on disk: checked by content, stored under a random name.

Files live under ``EVIDENCE_PATH/<ministry id>/<32 hex digits>.<pdf|png|jpg>``, outside
the web root, mode 0600. The uploaded file's name is never used for anything.

Files follow the database transaction that records them: a file written in a transaction
that rolls back is deleted, and a file replaced in a transaction is deleted only once it
commits (:func:`store` and :func:`discard_on_commit`).
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from training.errors import DomainError, Invalid
from training.extensions import db

TYPES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
EXTENSIONS = {media_type: extension for _magic, media_type, extension in TYPES}
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg)$")
FILENAME_MAX = 255


class EvidenceTooLarge(DomainError):
    status = 413
    code = "too_large"


class UnsupportedEvidence(DomainError):
    status = 415
    code = "unsupported_media_type"


@dataclass(frozen=True)
class Evidence:
    """A checked upload, not yet stored."""

    data: bytes
    media_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.media_type]


def root() -> Path:
    return Path(current_app.config["EVIDENCE_PATH"])


def check_filename(filename: str) -> None:
    """The uploaded file's name is never used, but one carrying a path or control
    characters is a client doing something odd: refuse it."""
    if (
        len(filename) > FILENAME_MAX
        or "/" in filename
        or "\\" in filename
        or ".." in filename
        or filename.strip() == "."
        or any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in filename)
    ):
        raise Invalid(
            _("Nombre de archivo no válido: no puede llevar rutas ni caracteres de control."),
            details={"fields": {"evidence": [_("Nombre de archivo no válido.")]}},
        )


def read(filename: str | None, stream: IO[bytes] | None) -> Evidence | None:
    """Check an upload: name, size (``EVIDENCE_MAX_BYTES``) and type by its first bytes.
    None when no file was sent (a browser sends an empty part with no name)."""
    if stream is None:
        return None
    filename = filename or ""
    limit = int(current_app.config["EVIDENCE_MAX_BYTES"])
    data = stream.read(limit + 1)
    if not filename and not data:
        return None
    check_filename(filename)
    if len(data) > limit:
        megabytes = f"{limit / (1024 * 1024):g}"
        raise EvidenceTooLarge(
            _(
                "El archivo es demasiado grande: el máximo es %(megabytes)s MB.",
                megabytes=megabytes,
            ),
            details={"fields": {"evidence": [_("Archivo demasiado grande.")]}},
        )
    if not data:
        raise Invalid(
            _("El archivo está vacío."), details={"fields": {"evidence": [_("Archivo vacío.")]}}
        )
    for magic, media_type, _extension in TYPES:
        if data.startswith(magic):
            return Evidence(data, media_type)
    raise UnsupportedEvidence(
        _("El comprobante debe ser un PDF o una imagen PNG o JPEG."),
        details={"fields": {"evidence": [_("Tipo de archivo no admitido.")]}},
    )


def store(ministry_id: int, evidence: Evidence) -> str:
    """Write the file (atomically, mode 0600); return its random name. The file is
    deleted again if the current transaction does not commit."""
    folder = root() / str(int(ministry_id))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{evidence.extension}"
    temporary = folder / f".{name}.part"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(evidence.data)
    temporary.replace(folder / name)
    _pending(db.session())["written"].append(folder / name)
    return name


def discard_on_commit(ministry_id: int, name: str | None) -> None:
    """Delete a replaced file once the current transaction commits."""
    if name and STORED_NAME.match(name):
        _pending(db.session())["replaced"].append(root() / str(int(ministry_id)) / name)


def _pending(session: Session) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = session.info.setdefault(
        "evidence_files", {"written": [], "replaced": []}
    )
    return files


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction may still roll back
    files = session.info.pop("evidence_files", None)
    for replaced in (files or {}).get("replaced", []):
        replaced.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # Still pending when the outermost transaction ends: it did not commit.
    if transaction.parent is None:
        files = session.info.pop("evidence_files", None)
        for written in (files or {}).get("written", []):
            written.unlink(missing_ok=True)


def path(ministry_id: int, name: str | None) -> Path | None:
    """The stored file, or None when the name is not one this module writes or the file
    is gone."""
    if not name or not STORED_NAME.match(name):
        return None
    base = root().resolve()
    found = (base / str(int(ministry_id)) / name).resolve()
    if base not in found.parents or not found.is_file():
        return None
    return found
