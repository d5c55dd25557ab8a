"""Signals between domains, declared in one place.

A lower domain announces; a higher one receives, so that the sender never imports the
receiver. Every receiver is connected in one place, ``training._connect_signals`` (run
by the application factory; connecting twice is harmless), and runs inside the sender's
transaction: it flushes, it never commits.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

attempt_submitted = _signals.signal("attempt-submitted")
"""A quiz attempt was graded (submitted by the learner, or closed when its time ran out).

Sender: the ``training.quizzes.services`` module. Arguments: ``attempt`` (quizzes
Attempt, with ``score``, ``passed`` and its answers).
Receiver: ``training.progress.records.on_attempt_submitted`` (best score, pass, the
answered questions' learning events, the module's and program's completion).
"""

program_completed = _signals.signal("program-completed")
"""A learner completed every module of a program with the program's minimum score.

Sender: the ``training.progress.records`` module. Arguments: ``user`` (User),
``program`` (catalog Program), ``completion`` (ProgramCompletion).
Receiver: ``training.certificates.services._on_program_completed`` (queues the
learner's certificate).
"""
