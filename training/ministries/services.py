"""Ministries and posts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _

from training import authz
from training.database import parse_id
from training.errors import NotFound, ValidationFailed
from training.extensions import db
from training.ministries.data import CRM_MINISTRIES
from training.ministries.models import Ministry, Post, PostKind

if TYPE_CHECKING:  # ministries sit below accounts: the user is only a type here
    from training.accounts.models import User


def seed_ministries() -> tuple[int, int]:
    """Create the eleven CRM ministries, or bring their names up to date.

    Idempotent: returns (created, updated); a second run changes nothing.
    """
    existing = {m.code: m for m in db.session.scalars(db.select(Ministry))}
    created = updated = 0
    for data in CRM_MINISTRIES:
        ministry = existing.get(data["code"])
        if ministry is None:
            db.session.add(Ministry(**data))
            created += 1
            continue
        changed = False
        for key, value in data.items():
            if getattr(ministry, key) != value:
                setattr(ministry, key, value)
                changed = True
        updated += changed
    db.session.flush()
    return created, updated


def get_ministry(code: str) -> Ministry:
    """The ministry with this ISO code (any case), or NotFound."""
    code = (code or "").strip().upper()
    ministry = None
    if len(code) == 2 and code.isascii() and code.isalpha():
        ministry = db.session.scalar(db.select(Ministry).where(Ministry.code == code))
    if ministry is None:
        raise NotFound(_("No existe el ministerio %(code)s.", code=code[:10]))
    return ministry


def create_post(
    ministry: Ministry,
    *,
    kind: str,
    name: str,
    city: str,
    country: str,
    actor: User | None = None,
) -> Post:
    """Add a consulate, embassy or headquarters unit to ``ministry``."""
    if actor is not None:
        authz.require(actor, authz.Permission.manage_staff)
        authz.check_ministry(actor, ministry.id)
    problems: dict[str, list[str]] = {}
    if kind not in PostKind.__members__:
        problems["kind"] = [", ".join(PostKind.__members__)]
    name, city, country = name.strip(), city.strip(), country.strip().upper()
    if not 1 <= len(name) <= 200:
        problems["name"] = [_("De 1 a 200 caracteres.")]
    if not 1 <= len(city) <= 120:
        problems["city"] = [_("De 1 a 120 caracteres.")]
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        problems["country"] = [_("Código ISO 3166-1 de dos letras.")]
    if problems:
        raise ValidationFailed(details={"fields": problems})
    post = Post(ministry=ministry, kind=kind, name=name, city=city, country=country)
    db.session.add(post)
    db.session.flush()
    return post


def get_post(post_id: object, actor: User | None = None, ministry: Ministry | None = None) -> Post:
    """A post by id, within the actor's reach (or within ``ministry`` for the CLI)."""
    if actor is not None:
        return authz.get_scoped(Post, post_id, actor)
    key = parse_id(post_id)
    post = db.session.get(Post, key) if key is not None else None
    if post is None or (ministry is not None and post.ministry_id != ministry.id):
        raise NotFound(_("No existe ese puesto en el ministerio."))
    return post


def list_posts(actor: User) -> list[Post]:
    """The actor's ministry's posts, by name."""
    user = authz.require(actor, authz.Permission.manage_staff)
    return list(db.session.scalars(authz.scoped(db.select(Post), Post, user).order_by(Post.name)))
