"""Argon2id hashing and the password rules."""

from __future__ import annotations

import pytest

from training.accounts import passwords


def test_hashes_are_argon2id_with_the_configured_cost(app):
    hashed = passwords.hash_password("a long enough passphrase")

    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert passwords.verify_password(hashed, "a long enough passphrase")
    assert not passwords.verify_password(hashed, "a long enough passphrasE")
    assert hashed != passwords.hash_password("a long enough passphrase")  # salted


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$broken"])
def test_verifying_against_no_or_a_broken_hash_fails_quietly(app, stored):
    assert passwords.verify_password(stored, "a long enough passphrase") is False


def test_a_password_that_cannot_be_encoded_never_matches(app):
    hashed = passwords.hash_password("a long enough passphrase")

    assert passwords.verify_password(hashed, "a long enough passphrase\udc80") is False
    assert passwords.verify_password(None, "\ud800") is False


def test_rehash_is_needed_only_when_the_cost_changes(app):
    hashed = passwords.hash_password("a long enough passphrase")
    assert not passwords.needs_rehash(hashed)

    app.config["ARGON2_MEMORY_COST"] = 2048

    assert passwords.needs_rehash(hashed)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "twelve chars",
        "ñandú en la pampa",
        "北京欢迎你北京欢迎你北京欢",
        ("the longest allowed passphrase " * 9)[:256],
    ],
)
def test_good_passwords_pass(app, password):
    assert passwords.password_problems(password, email="consul@gt.example.org") == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "al menos 12"),
        ("eleven char", "al menos 12"),
        ("x" * 257, "más de 256"),
        ("123456789012", "demasiado común"),
        ("Contrasena123", "demasiado común"),
        ("CONTRASEÑA2024", "demasiado común"),
        ("zzzzzzzzzzzzzzzz", "demasiado común"),
        ("abababababababab", "demasiado común"),
        ("mi correo consul es", "su dirección de correo"),
        ("MI CORREO CONSUL ES", "su dirección de correo"),
        ("a long passphrase\x00", "caracteres no permitidos"),
        ("a long passphrase\udc80", "caracteres no permitidos"),
    ],
)
def test_bad_passwords_are_explained(app, password, problem):
    problems = passwords.password_problems(password, email="consul@gt.example.org")

    assert any(problem in text for text in problems), problems


def test_every_broken_rule_is_reported(app):
    problems = passwords.password_problems("consul", email="consul@gt.example.org")

    assert len(problems) == 2  # too short, and contains the e-mail


def test_a_short_local_part_is_not_held_against_the_password(app):
    assert passwords.password_problems("the ana password phrase", email="ana@gt.example.org") == []


def test_length_is_counted_after_unicode_normalization(app):
    # Eleven full-width letters normalize to eleven ASCII letters: still too short.
    assert passwords.password_problems("ＡＢＣＤＥＦＧＨＩＪＫ")
    # A decomposed "ñ" (n + combining tilde) is one character once composed.
    assert passwords.password_problems("n\u0303" * 6)


def test_the_common_list_is_loaded_case_folded(app):
    common = passwords.common_passwords()

    assert "contraseña2024" in common
    assert all(entry == entry.casefold() for entry in common)
    assert not any(entry.startswith("#") for entry in common)
