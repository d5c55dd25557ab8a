"""The roles a user may hold (core: authz owns the policy over them, accounts stores them).

Roles are additive: a user may be a learner and a coordinator at once.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    learner = "learner"
    coordinator = "coordinator"
    issuer = "issuer"
    regional = "regional"
    admin = "admin"
