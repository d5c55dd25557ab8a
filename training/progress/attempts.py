"""Starting a quiz attempt: the learner's progress decides whether they may (the
module's prerequisites, the attempts left, the attempt already in progress); the quizzes
domain draws and stores the attempt."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from training import authz
from training.catalog.models import ModuleVersion
from training.errors import Forbidden
from training.extensions import db
from training.progress.events import record_event
from training.progress.modules import module_view
from training.progress.records import start_module
from training.progress.remediation import hold
from training.quizzes import services as quizzes
from training.quizzes.models import Attempt


def start(actor: Any, slug: str) -> tuple[Attempt, bool]:
    """The learner's attempt in progress for module ``slug``, or a new one.

    Returns (attempt, created). Refused (403, with the reason) when the module is locked
    by its prerequisites, no attempt is left, or a retake after a failure waits for the
    learner to reopen lessons or for time to pass (``training.progress.remediation``).
    """
    user = authz.require(actor, authz.Permission.learn)
    view = module_view(user, slug)
    if view.locked:
        raise Forbidden(
            view.lock_reason(user.language) or "",
            details={
                "reason": "prerequisites",
                "missing": [v.module_slug for v in view.missing_prerequisites],
            },
        )
    if view.attempt_in_progress is not None:
        current = db.session.get(Attempt, view.attempt_in_progress)
        if current is not None and not quizzes.close_if_expired(current):
            return current, False
        view = module_view(user, slug)
    if view.attempts_left <= 0:
        raise Forbidden(
            _(
                "Ha usado todos los intentos de este cuestionario. Su coordinación puede "
                "concederle otro."
            ),
            details={"reason": "no_attempts_left", "attempts_used": view.attempts_used},
        )
    waiting = hold(user, view)
    if waiting is not None:
        raise waiting.error()
    start_module(user, view)
    # Drawing the questions needs the version's rows, not the copy in memory.
    version = db.session.get(ModuleVersion, view.version.id)
    assert version is not None
    attempt, created = quizzes.open_attempt(user, version, number=view.attempts_used + 1)
    if not created:
        return attempt, False
    record_event(
        user,
        "launched",
        "module",
        view.slug,
        view.version.title,
        module_version_id=view.version.id,
        attempt_id=attempt.id,
    )
    db.session.flush()
    return attempt, True
