from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.database import UTCDateTime, utcnow
from training.extensions import db
from training.ministries.models import Ministry, Post
from training.roles import Role as Role  # re-exported: callers import it from here too

ROLE_VALUES = tuple(role.value for role in Role)
_ROLE_CHECK = "role IN ({})".format(", ".join(f"'{role}'" for role in ROLE_VALUES))

# The answers a user may give, on their account page, to the optional question on sex.
# Only aggregate reports (the CRM indicators) read it, never a page about a person.
SEX_VALUES = ("female", "male", "another", "prefer_not_to_say")
_SEX_CHECK = "sex IS NULL OR sex IN ({})".format(", ".join(f"'{value}'" for value in SEX_VALUES))


class User(db.Model):  # type: ignore[name-defined]
    """A person who signs in. Belongs to exactly one ministry."""

    __tablename__ = "user_account"
    __table_args__ = (
        # Uniqueness without regard to case is kept by storing the e-mail lower-cased.
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint("language IN ('es', 'en', 'fr')", name="language"),
        CheckConstraint(_SEX_CHECK, name="sex"),
        # Staff lists and reports read a ministry's people by name: this index gives
        # them in that order (and serves every lookup by ministry).
        Index("ix_user_account_ministry_name", "ministry_id", "full_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="es")
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped whenever existing sessions must stop working (password change, deactivation).
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optional, unset by default (SEX_VALUES); never shown about a person.
    sex: Mapped[str | None] = mapped_column(String(20))

    ministry: Mapped[Ministry] = relationship(lazy="joined")
    post: Mapped[Post | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    # Flask-Login protocol. The session id carries the auth version, so bumping it
    # signs the user out everywhere.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.auth_version}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(db.Model):  # type: ignore[name-defined]
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(db.Model):  # type: ignore[name-defined]
    """A signed-in browser. Its cookie carries a random key; only the key's SHA-256 is
    stored. Signing out deletes the row, so that a copy of the cookie stops working too;
    a row older than ``SESSION_HOURS`` no longer signs anyone in."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ApiToken(db.Model):  # type: ignore[name-defined]
    """A bearer token for scripts. Only a SHA-256 digest of the secret is stored."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
