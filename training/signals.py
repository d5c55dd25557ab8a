"""Signals between domains, declared in one place.

A domain emits; other domains connect receivers in their ``init_app`` (or module level
``connect_signals``), so that the emitter never imports the receiver. Every receiver runs
inside the emitter's transaction: it flushes, it never commits.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

lesson_read = _signals.signal("lesson-read")
"""A learner read a lesson for the first time.

Sender: the ``training.progress.services`` module. Arguments: ``user`` (User),
``lesson`` (catalog Lesson).
"""

attempt_submitted = _signals.signal("attempt-submitted")
"""A quiz attempt was graded (submitted by the learner, or closed when its time ran out).

Sender: the ``training.quizzes.services`` module. Arguments: ``attempt`` (quizzes
Attempt, with ``score``, ``passed`` and its answers).
"""

module_completed = _signals.signal("module-completed")
"""A learner completed a module version: every lesson read and the quiz passed.

Sender: the ``training.progress.services`` module. Arguments: ``user`` (User),
``module_version`` (catalog ModuleVersion), ``progress`` (ModuleProgress).
"""

program_completed = _signals.signal("program-completed")
"""A learner completed every module of a program with the program's minimum score.

Sender: the ``training.progress.services`` module. Arguments: ``user`` (User),
``program`` (catalog Program), ``completion`` (ProgramCompletion).
"""
