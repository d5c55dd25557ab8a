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
from training.certificates.models import Certificate, SerialCounter, SigningKey
from training.cohorts.models import Cohort, CohortMember
from training.exports.models import Export
from training.jobs.models import JobRun
from training.links.models import (
    ExternalCompletion,
    ExternalCourse,
    ExternalCourseCredit,
    ExternalCourseModule,
    ExternalLaunch,
    ExternalLinkCheck,
)
from training.mail.models import OutboxMessage
from training.ministries.models import Ministry, Post
from training.progress.models import (
    LearningEvent,
    LessonProgress,
    ModuleProgress,
    ProgramCompletion,
)
from training.quizzes.models import Attempt, AttemptAnswer, AttemptGrant, AttemptQuestion

__all__ = [
    "ApiToken",
    "Attempt",
    "AttemptAnswer",
    "AttemptGrant",
    "AttemptQuestion",
    "AuditEvent",
    "Certificate",
    "Choice",
    "Cohort",
    "CohortMember",
    "ContentAsset",
    "Export",
    "ExternalCompletion",
    "ExternalCourse",
    "ExternalCourseCredit",
    "ExternalCourseModule",
    "ExternalLaunch",
    "ExternalLinkCheck",
    "JobRun",
    "LearningEvent",
    "Lesson",
    "LessonProgress",
    "Ministry",
    "Module",
    "ModuleProgress",
    "ModuleVersion",
    "OutboxMessage",
    "Post",
    "Program",
    "ProgramCompletion",
    "ProgramModule",
    "Question",
    "SerialCounter",
    "SigningKey",
    "User",
    "UserRole",
]
