"""Every model of every domain, imported in one place for SQLAlchemy and Alembic."""

from training.accounts.models import ApiToken, User, UserRole
from training.audit.models import AuditEvent
from training.catalog.models import (
    Choice,
    ContentAsset,
    Lesson,
    Module,
    ModuleVersion,
    Program,
    ProgramModule,
    Question,
)
from training.mail.models import OutboxMessage
from training.ministries.models import Ministry, Post

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Choice",
    "ContentAsset",
    "Lesson",
    "Ministry",
    "Module",
    "ModuleVersion",
    "OutboxMessage",
    "Post",
    "Program",
    "ProgramModule",
    "Question",
    "User",
    "UserRole",
]
