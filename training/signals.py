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
Receiver: ``training.certificates.issuing._on_program_completed`` (queues the
learner's certificate).
"""

access_denied = _signals.signal("access-denied")
"""A request named an existing record of another ministry and was answered 404.

Sender: the ``training.authz`` module. Arguments: ``actor`` (User), ``target_type``
(the record's class name, or None when the caller did not say), ``target_id`` (its id,
or None), ``ministry_id`` (the record's ministry). Receiver: ``training.audit.services``
records it, at most ``AUDIT_DENIALS_PER_MINUTE`` per user, in a transaction of its own
(the request that raised the 404 rolls back).
"""

staff_action_refused = _signals.signal("staff-action-refused")
"""A staff action was refused by the rank rule (``authz.require_rank``): the account is
the actor's own, or holds or would get a role the actor may not grant.

Sender: the ``training.authz`` module. Arguments: ``actor`` (User), ``action`` (e.g.
``"deactivate"``, ``"set_roles"``, ``"invite"``, ``"import"``, ``"reactivate"``),
``user`` (the account acted on, or None for a new one), ``roles`` (the roles asked for,
sorted values), ``reason`` (``"rank"`` or ``"self"``). Receiver:
``training.audit.services`` records it in a transaction of its own (the 403 rolls the
request back).
"""
