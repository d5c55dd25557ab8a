"""Progress: the public surface of the domain, gathered from its modules.

* :mod:`training.progress.modules`: a learner's view of modules, lessons and the program;
* :mod:`training.progress.records`: lessons read, graded attempts, completions;
* :mod:`training.progress.events`: the learning event log;
* :mod:`training.progress.attempts`: starting a quiz attempt within the learner's progress.
"""

from __future__ import annotations

from training.progress.attempts import start as start_attempt
from training.progress.events import events, record_event
from training.progress.modules import (
    ModuleView,
    ProgramView,
    lesson,
    lesson_counts,
    module_view,
    module_views,
    program_view,
    read_lesson_numbers,
)
from training.progress.records import mark_lesson_read, record_attempt, start_module

__all__ = [
    "ModuleView",
    "ProgramView",
    "events",
    "lesson",
    "lesson_counts",
    "mark_lesson_read",
    "module_view",
    "module_views",
    "program_view",
    "read_lesson_numbers",
    "record_attempt",
    "record_event",
    "start_attempt",
    "start_module",
]
