from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.database import UTCDateTime, utcnow
from training.extensions import db


class Ministry(db.Model):  # type: ignore[name-defined]
    """A CRM member state's ministry of foreign affairs: the tenant."""

    __tablename__ = "ministry"
    __table_args__ = (
        CheckConstraint("length(code) = 2", name="code_length"),
        CheckConstraint(
            "certificate_approval IN ('automatic', 'manual')", name="certificate_approval"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name_es: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    country_es: Mapped[str] = mapped_column(String(100))
    country_en: Mapped[str] = mapped_column(String(100))
    country_fr: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Certificate branding and policy.
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signatory_title: Mapped[str | None] = mapped_column(String(200))
    serial_prefix: Mapped[str | None] = mapped_column(String(8))
    # "automatic": issued as soon as a learner completes the program; "manual": queued
    # for an issuer's approval.
    certificate_approval: Mapped[str] = mapped_column(String(10), default="automatic")

    posts: Mapped[list[Post]] = relationship(back_populates="ministry", order_by="Post.name")

    def name(self, language: str) -> str:
        return str(getattr(self, f"name_{language}", None) or self.name_es)

    def country(self, language: str) -> str:
        return str(getattr(self, f"country_{language}", None) or self.country_es)

    def __repr__(self) -> str:
        return f"<Ministry {self.code}>"


class PostKind(enum.StrEnum):
    consulate = "consulate"
    embassy = "embassy"
    headquarters = "headquarters"


class Post(db.Model):  # type: ignore[name-defined]
    """A consulate, an embassy or a headquarters unit of one ministry."""

    __tablename__ = "post"
    __table_args__ = (
        CheckConstraint("kind IN ('consulate', 'embassy', 'headquarters')", name="kind"),
        CheckConstraint("length(country) = 2", name="country_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ministry: Mapped[Ministry] = relationship(back_populates="posts")

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.name}>"
