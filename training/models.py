"""Every model of every domain, imported in one place for SQLAlchemy and Alembic."""

from training.accounts.models import ApiToken, User, UserRole
from training.audit.models import AuditEvent
from training.mail.models import OutboxMessage
from training.ministries.models import Ministry, Post

__all__ = ["ApiToken", "AuditEvent", "Ministry", "OutboxMessage", "Post", "User", "UserRole"]
