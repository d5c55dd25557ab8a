"""How the external course pages and API name a person (the review queue, and the
completion report in :mod:`training.reports.external`)."""

from __future__ import annotations

from typing import Any


def learner_data(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "full_name": user.full_name,
        "email": user.email,
        "post": user.post.name if user.post else None,
    }
