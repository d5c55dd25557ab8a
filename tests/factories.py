"""Test data builders. Users go through the real service, so they obey the real rules."""

from __future__ import annotations

import itertools
from typing import Any

from training.accounts import users
from training.accounts.models import User
from training.extensions import db
from training.ministries.models import Post
from training.ministries.services import create_post, get_ministry

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def create_post_for(ministry: str = "GT", name: str | None = None, **fields: Any) -> Post:
    n = next(_counter)
    post = create_post(
        get_ministry(ministry),
        kind=fields.get("kind", "consulate"),
        name=name or f"Consulado número {n}",
        city=fields.get("city", "Tapachula"),
        country=fields.get("country", "MX"),
    )
    db.session.commit()
    return post


def create_user(
    *,
    roles: list[str] | None = None,
    ministry: str = "GT",
    email: str | None = None,
    full_name: str | None = None,
    password: str | None = PASSWORD,
    language: str = "es",
    post: Post | None = None,
    active: bool = True,
) -> User:
    n = next(_counter)
    user = users.create_user(
        email=email or f"persona{n}@{ministry.lower()}.example.org",
        full_name=full_name or f"Persona Número {n}",
        ministry=get_ministry(ministry),
        roles=roles or ["learner"],
        password=password,
        language=language,
        post=post,
    )
    if not active:
        user.active = False
    db.session.commit()
    return user
