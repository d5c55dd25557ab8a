"""Password hashing (Argon2id) and the password rules."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _


@cache
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    """Argon2id with the configured cost (RFC 9106's second profile by default; the
    test settings lower it so that a test suite does not spend minutes hashing)."""
    config = current_app.config
    return _hasher_for(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verifying against this hash when the account does not exist keeps the response
    # time the same for unknown e-mails and wrong passwords.
    return hasher.hash("not-a-real-password-used-only-for-timing")


MIN_LENGTH = 12
MAX_LENGTH = 256


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; safe to call with no hash (unknown user)."""
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or _dummy_hash(hasher), password) and bool(password_hash)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    text = (
        resources.files("training.accounts")
        .joinpath("common_passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line and not line.startswith("#")
    )


def _encodable(text: str) -> bool:
    # Lone surrogates (from a terminal's undecodable bytes) cannot be hashed as UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def password_problems(password: str, *, email: str = "", full_name: str = "") -> list[str]:
    """Every rule ``password`` breaks, as sentences for the person choosing it."""
    problems: list[str] = []
    normalized = unicodedata.normalize("NFKC", password)
    if len(normalized) < MIN_LENGTH:
        problems.append(_("La contraseña debe tener al menos %(n)d caracteres.", n=MIN_LENGTH))
    if len(normalized) > MAX_LENGTH:
        problems.append(_("La contraseña no puede tener más de %(n)d caracteres.", n=MAX_LENGTH))
    folded = normalized.casefold()
    if folded in common_passwords() or len(set(folded)) <= 2:
        problems.append(_("Esa contraseña es demasiado común. Elija otra."))
    local_part = email.split("@", 1)[0].casefold()
    if len(local_part) >= 4 and local_part in folded:
        problems.append(_("La contraseña no puede contener su dirección de correo."))
    if "\x00" in password or not _encodable(password):
        problems.append(_("La contraseña contiene caracteres no permitidos."))
    return problems
