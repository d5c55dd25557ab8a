"""What a graded attempt shows: the quiz's review policy (``quiz.yaml`` ``review:``).

* ``immediate``: every graded attempt shows the full review (each choice, whether it is
  correct, its feedback).
* ``after_pass_or_last_attempt`` (the default): a failed attempt shows a **restricted**
  review while the learner may still try again: the score, the result per objective and,
  for each question missed, the explanation and the lesson that teaches its objective,
  never which option is correct. The **full** review opens once the learner has passed
  the module, or when no attempt is left (and none is in progress).

Decided when the attempt is shown, not when it was graded: attempts graded before the
policy existed follow it from now on, and a coordinator's grant (one more attempt)
closes the full review again until that attempt is used.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from training.catalog.models import REVIEW_IMMEDIATE
from training.extensions import db
from training.quizzes.models import IN_PROGRESS, Attempt, AttemptGrant

RESTRICTED = "restricted"
FULL = "full"


def mode(attempt: Attempt) -> str | None:
    """``"full"`` or ``"restricted"`` for a graded attempt, None while in progress.

    At most one query (the learner's attempts and grants at the module, together).
    """
    if attempt.status == IN_PROGRESS:
        return None
    version = attempt.module_version
    if version.review == REVIEW_IMMEDIATE or attempt.passed:
        return FULL
    granted = (
        select(func.coalesce(func.sum(AttemptGrant.extra), 0))
        .where(AttemptGrant.user_id == attempt.user_id, AttemptGrant.module_id == attempt.module_id)
        .scalar_subquery()
    )
    used, passed, in_progress, extra = db.session.execute(
        select(
            func.count(Attempt.id),
            func.max(case((Attempt.passed.is_(True), 1), else_=0)),
            func.max(case((Attempt.status == IN_PROGRESS, 1), else_=0)),
            granted,
        ).where(Attempt.user_id == attempt.user_id, Attempt.module_id == attempt.module_id)
    ).one()
    if passed:
        return FULL
    if in_progress:
        return RESTRICTED  # never open the key while an attempt is being answered
    if used >= version.max_attempts + int(extra or 0):
        return FULL
    return RESTRICTED
