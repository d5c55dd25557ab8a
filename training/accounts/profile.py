"""Accounts: what a user says about themselves on their account page.

Today the one answer is the optional ``sex`` (:data:`SEX_VALUES`), which only the CRM
indicators read, in aggregates of five people or more; no page, API answer or export
about a person shows it. Services flush and never commit.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from training import authz
from training.accounts.models import SEX_VALUES, User
from training.errors import Forbidden, ValidationFailed
from training.extensions import db


def set_sex(user: User, value: Any, *, actor: Any) -> User:
    """Record the user's answer on sex (``None`` or ``""`` clears it). Only the user
    may answer for themselves: the question is theirs, not their coordinator's. Not
    audited: the audit log is read by coordinators, and the answer is private."""
    acting = authz.authenticated(actor)
    if acting.id != user.id:
        raise Forbidden()
    if value in (None, ""):
        user.sex = None
    elif isinstance(value, str) and value in SEX_VALUES:
        user.sex = value
    else:
        message = _("Elija una de las respuestas de la lista.")
        raise ValidationFailed(message, details={"fields": {"sex": [message]}})
    db.session.flush()
    return user
