"""Content that never changes once loaded, kept in each process's memory.

A module version (titles, objectives, quiz rules) and its lessons are written once, by
``catalog.sync``, and never edited: a changed module is a new version with a new id. So
they can be kept in memory keyed by the version's id and content hash, and every worker
of every server may keep its own copy without ever being told of a change (there is none
to tell). What does change
(which version is current, whether a module is active, what a learner did) is always read
from the database.

The copies are plain frozen records, not ORM objects: they belong to no session, so that
threads can share them and nothing can write them back. The cache is bounded (least
recently used versions go first) so that a long-lived worker does not grow with every
version ever published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from training.bounded_cache import BoundedCache
from training.catalog.models import Lesson, Module, ModuleVersion, Translated, in_language
from training.extensions import db

MAX_VERSIONS = 256


@dataclass(frozen=True)
class LessonText:
    """A lesson of a module version as learners read it (the ``Lesson`` row's content)."""

    id: int
    module_version_id: int
    number: int
    key: str
    kind: str
    title: Translated
    html: Translated
    word_count: dict[str, int]
    objectives: tuple[str, ...]


@dataclass(frozen=True)
class VersionText:
    """A module version as learners see it: the ``ModuleVersion`` row without the job
    aid's HTML (only its own page shows it) and with its module's slug."""

    id: int
    module_id: int
    module_slug: str
    number: int
    content_hash: str
    label: str
    position: int
    title: Translated
    summary: Translated
    objectives: tuple[dict[str, str], ...]
    prerequisites: tuple[str, ...]
    topics: tuple[str, ...]
    estimated_minutes: int
    hours: int
    job_aid_title: Translated
    pass_mark: int
    max_attempts: int
    time_limit_s: int | None
    questions_per_attempt: int
    review: str
    retake_requires_review: bool
    retake_after_hours: int
    created_at: datetime

    def objective_texts(self, language: str) -> list[str]:
        """The objectives' texts in ``language`` (Spanish when it has none)."""
        return [in_language(objective, language) for objective in self.objectives]

    @property
    def lessons(self) -> tuple[LessonText, ...]:
        """The version's lessons in order (from memory too), as ``ModuleVersion.lessons``."""
        return versions.lessons(self.id, self.content_hash)


_VERSION_FIELDS = tuple(
    name for name in VersionText.__dataclass_fields__ if name not in ("module_slug",)
)


class VersionCache:
    """Up to ``size`` versions and their lessons, least recently used dropped first."""

    def __init__(self, size: int = MAX_VERSIONS) -> None:
        self._lessons: BoundedCache[tuple[LessonText, ...]] = BoundedCache(size)
        self._versions: BoundedCache[VersionText] = BoundedCache(size)

    def version(self, version_id: int, content_hash: str) -> VersionText:
        """Version ``version_id``, read from the database the first time only."""
        return self._versions.get_or_load(
            (version_id, content_hash), lambda: _load_version(version_id)
        )

    def lessons(self, version_id: int, content_hash: str) -> tuple[LessonText, ...]:
        """The lessons of version ``version_id`` in order, read from the database the
        first time only."""
        return self._lessons.get_or_load(
            (version_id, content_hash), lambda: _load_lessons(version_id)
        )

    def clear(self) -> None:
        self._lessons.clear()
        self._versions.clear()

    def __len__(self) -> int:
        return len(self._lessons)


def _load_lessons(version_id: int) -> tuple[LessonText, ...]:
    rows = db.session.execute(
        select(
            Lesson.id,
            Lesson.module_version_id,
            Lesson.number,
            Lesson.key,
            Lesson.kind,
            Lesson.title,
            Lesson.html,
            Lesson.word_count,
            Lesson.objectives,
        )
        .where(Lesson.module_version_id == version_id)
        .order_by(Lesson.number)
    ).all()
    return tuple(
        LessonText(
            id=row.id,
            module_version_id=row.module_version_id,
            number=row.number,
            key=row.key,
            kind=row.kind,
            title=_frozen(row.title),
            html=_frozen(row.html),
            word_count=dict(row.word_count or {}),
            objectives=tuple(row.objectives or ()),
        )
        for row in rows
    )


def _load_version(version_id: int) -> VersionText:
    columns = [getattr(ModuleVersion, name) for name in _VERSION_FIELDS]
    row = db.session.execute(
        select(Module.slug, *columns)
        .join(Module, Module.id == ModuleVersion.module_id)
        .where(ModuleVersion.id == version_id)
    ).one()
    values = dict(zip(("module_slug", *_VERSION_FIELDS), row, strict=True))
    for name in ("title", "summary", "job_aid_title"):
        values[name] = _frozen(values[name])
    values["objectives"] = tuple(dict(item) for item in values["objectives"] or ())
    values["prerequisites"] = tuple(values["prerequisites"] or ())
    values["topics"] = tuple(values["topics"] or ())
    return VersionText(**values)


def _frozen(texts: Any) -> Translated:
    return dict(texts or {})


versions = VersionCache()


def lessons(version: Any) -> tuple[LessonText, ...]:
    """The lessons of ``version`` (a ``ModuleVersion``, or anything with ``id`` and
    ``content_hash``), from memory after the first time."""
    return versions.lessons(version.id, version.content_hash)


def version(version_id: int, content_hash: str) -> VersionText:
    """Module version ``version_id`` as learners see it, from memory after the first
    time."""
    return versions.version(version_id, content_hash)
