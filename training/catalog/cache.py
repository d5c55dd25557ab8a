"""Content that never changes once loaded, kept in each process's memory.

A module version's lessons are written once, by ``catalog.sync``, and never edited: a
changed module is a new version with a new id. So they can be kept in memory keyed by the
version's id and content hash, and every worker of every server may keep its own copy
without ever needing to be told of a change (there is none to tell). What does change
(which version is current, whether a module is active, what a learner did) is always read
from the database.

The copies are plain frozen records, not ORM objects: they belong to no session, so that
threads can share them and nothing can write them back. The cache is bounded (least
recently used versions go first) so that a long-lived worker does not grow with every
version ever published.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from training.catalog.models import Lesson, Translated
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


class VersionCache:
    """Up to ``size`` versions' lessons, least recently used dropped first."""

    def __init__(self, size: int = MAX_VERSIONS) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, str], tuple[LessonText, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def lessons(self, version_id: int, content_hash: str) -> tuple[LessonText, ...]:
        """The lessons of version ``version_id`` in order, read from the database the
        first time only."""
        key = (version_id, content_hash)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        loaded = _load_lessons(version_id)
        with self._lock:
            self._entries[key] = loaded
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return loaded

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


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


def _frozen(texts: Any) -> Translated:
    return dict(texts or {})


versions = VersionCache()


def lessons(version: Any) -> tuple[LessonText, ...]:
    """The lessons of ``version`` (a ``ModuleVersion``, or anything with ``id`` and
    ``content_hash``), from memory after the first time."""
    return versions.lessons(version.id, version.content_hash)
