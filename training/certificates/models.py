from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.accounts.models import User
from training.catalog.models import Program
from training.database import UTCDateTime, utcnow
from training.extensions import db
from training.ministries.models import Ministry

PENDING = "pending"
VALID = "valid"
REVOKED = "revoked"

# Why a certificate was revoked, as verification shows it; the free-text reason stays
# internal to the ministry. ``superseded`` is set by a re-issue.
REVOCATION_CATEGORIES = ("issued_in_error", "misconduct", "superseded", "holder_request", "other")


class SigningKey(db.Model):  # type: ignore[name-defined]
    """A ministry's Ed25519 key. The private half is stored encrypted (PKCS#8 with the
    configured key-encryption secret); retired keys stay, so that old certificates still
    verify against the published key set."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64url of the 32 raw bytes
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SerialCounter(db.Model):  # type: ignore[name-defined]
    """The last serial number used per ministry and year. Taking a number is one
    ``UPDATE ... RETURNING`` that locks the row until the transaction ends, so numbers
    are unique and, since a rolled-back transaction gives its number back, without gaps."""

    __tablename__ = "serial_counter"

    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class StatusListCounter(db.Model):  # type: ignore[name-defined]
    """The last index given out in a ministry's revocation status list (W3C Bitstring
    Status List). Taken like a serial, with one ``UPDATE ... RETURNING``."""

    __tablename__ = "status_list_counter"

    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), primary_key=True)
    last_index: Mapped[int] = mapped_column(Integer, default=-1)


class Certificate(db.Model):  # type: ignore[name-defined]
    """One certificate. At most one pending or valid certificate per learner and program
    (a partial unique index), so that concurrent triggers can never issue two."""

    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'valid', 'revoked')", name="status"),
        CheckConstraint("status = 'pending' OR serial IS NOT NULL", name="serial_when_issued"),
        Index(
            "uq_certificate_one_current",
            "user_id",
            "program_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'valid')"),
            sqlite_where=text("status IN ('pending', 'valid')"),
        ),
        CheckConstraint(
            "revocation_category IS NULL OR revocation_category IN "
            "('issued_in_error', 'misconduct', 'superseded', 'holder_request', 'other')",
            name="revocation_category",
        ),
        UniqueConstraint("code"),
        UniqueConstraint("serial"),
        UniqueConstraint("ministry_id", "status_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str | None] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    holder_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    hours: Mapped[int] = mapped_column(Integer)
    modules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    subject_id: Mapped[str] = mapped_column(String(45))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kid: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(128))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(String(500))  # internal
    revocation_category: Mapped[str | None] = mapped_column(String(20))  # public
    # Position of the certificate's bit in its ministry's revocation status list.
    status_index: Mapped[int | None] = mapped_column(Integer)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    ministry: Mapped[Ministry] = relationship()
    program: Mapped[Program] = relationship()
    replaces: Mapped[Certificate | None] = relationship(remote_side=[id])
