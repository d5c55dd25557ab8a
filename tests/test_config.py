"""Settings from the environment: safe defaults, and refusal to start unsafely."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from training import create_app
from training.config import ConfigurationError, database_url, load_settings

LONG_SECRET = "s" * 32


def settings(tmp_path: Path, **environ: str) -> dict:
    return load_settings(environ, tmp_path / "instance")


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": "   "},
        {"SECRET_KEY": "s" * 31},
        {"SECRET_KEY": "short"},
    ],
    ids=["unset", "empty", "blank", "31 characters", "short"],
)
def test_production_refuses_a_missing_or_short_secret_key(tmp_path, environ):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        settings(tmp_path, TRAINING_ENV="production", **environ)
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_does_not_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("TRAINING_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(ConfigurationError):
        create_app()


def test_production_settings(tmp_path):
    config = settings(
        tmp_path, TRAINING_ENV="production", SECRET_KEY=LONG_SECRET, KEY_ENCRYPTION_SECRET="k" * 40
    )

    assert config["SECRET_KEY"] == LONG_SECRET
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["HSTS_ENABLED"] is True
    assert config["TESTING"] is False
    assert config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_settings_are_not_secure_only(tmp_path):
    config = settings(tmp_path, TRAINING_ENV="development")

    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["HSTS_ENABLED"] is False


def test_development_secret_key_is_created_once_private_and_reused(tmp_path):
    first = settings(tmp_path)["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"

    assert key_file.read_text(encoding="ascii") == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert settings(tmp_path)["SECRET_KEY"] == first
    assert settings(tmp_path, TRAINING_ENV="development")["SECRET_KEY"] == first


def test_a_given_secret_key_is_used_and_no_file_is_written(tmp_path):
    assert settings(tmp_path, SECRET_KEY="given")["SECRET_KEY"] == "given"
    assert not (tmp_path / "instance").exists()


def test_testing_gets_a_throwaway_key_and_writes_nothing(tmp_path):
    first = settings(tmp_path, TRAINING_ENV="testing")["SECRET_KEY"]

    assert first != settings(tmp_path, TRAINING_ENV="testing")["SECRET_KEY"]
    assert not (tmp_path / "instance").exists()


@pytest.mark.parametrize("env", ["prod", "Production", "staging", "test"])
def test_unknown_environments_are_refused(tmp_path, env):
    with pytest.raises(ConfigurationError, match="TRAINING_ENV"):
        settings(tmp_path, TRAINING_ENV=env)


def test_an_empty_environment_name_means_development(tmp_path):
    assert settings(tmp_path, TRAINING_ENV=" ")["TRAINING_ENV"] == "development"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db:5432/aula", "postgresql+psycopg://u:p@db:5432/aula"),
        ("postgresql://u:p@db/aula", "postgresql+psycopg://u:p@db/aula"),
        ("postgresql+psycopg://u@db/aula", "postgresql+psycopg://u@db/aula"),
        (" sqlite:////srv/aula.sqlite3 ", "sqlite:////srv/aula.sqlite3"),
    ],
)
def test_database_url_schemes_are_made_usable(tmp_path, given, used):
    assert database_url({"DATABASE_URL": given}, tmp_path) == used


def test_default_database_is_a_sqlite_file_under_instance(tmp_path):
    config = settings(tmp_path)

    assert config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{tmp_path / 'instance' / 'aula_consular.sqlite3'}"
    )
    assert "connect_args" not in config["SQLALCHEMY_ENGINE_OPTIONS"]


@pytest.mark.parametrize("language", ["de", "ES", "spanish"])
def test_unknown_default_language_is_refused(tmp_path, language):
    with pytest.raises(ConfigurationError, match="DEFAULT_LANGUAGE"):
        settings(tmp_path, DEFAULT_LANGUAGE=language)


def test_default_language_is_spanish_and_can_change(tmp_path):
    assert settings(tmp_path)["DEFAULT_LANGUAGE"] == "es"
    assert settings(tmp_path, DEFAULT_LANGUAGE="fr")["BABEL_DEFAULT_LOCALE"] == "fr"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", True), ("1", True), ("yes", True), ("ON", True), ("0", False), ("no", False)],
)
def test_flags(tmp_path, value, expected):
    assert settings(tmp_path, RATELIMIT_ENABLED=value)["RATELIMIT_ENABLED"] is expected


def test_mail_and_redis_settings(tmp_path):
    config = settings(
        tmp_path,
        MAIL_SERVER=" smtp.example.org ",
        MAIL_PORT="2525",
        MAIL_USE_TLS="0",
        REDIS_URL="redis://cache:6379/0",
        PUBLIC_BASE_URL="https://aula.example.org/",
        TRUSTED_PROXIES="2",
    )

    assert config["MAIL_SERVER"] == "smtp.example.org"
    assert config["MAIL_PORT"] == 2525
    assert config["MAIL_USE_TLS"] is False
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert config["PUBLIC_BASE_URL"] == "https://aula.example.org"
    assert config["TRUSTED_PROXIES"] == 2


def test_without_mail_server_mail_goes_to_the_outbox(tmp_path):
    config = settings(tmp_path)

    assert config["MAIL_SERVER"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SESSION_HOURS", "doce"),
        ("SESSION_HOURS", "0"),
        ("SESSION_HOURS", "nan"),
        ("SESSION_HOURS", "-1"),
        ("SESSION_HOURS", "inf"),
        ("SESSION_HOURS", "1e8"),
        ("MAIL_PORT", "70000"),
        ("LINK_CHECK_TIMEOUT", "10s"),
        ("MAIL_PORT", "0"),
        ("MAIL_PORT", "25.5"),
        ("TRUSTED_PROXIES", "-1"),
        ("EVIDENCE_MAX_BYTES", "5MB"),
    ],
)
def test_a_malformed_number_stops_the_start_with_its_name(tmp_path, name, value):
    with pytest.raises(ConfigurationError, match=f"^{name} must be .*, not '{value}'"):
        load_settings({name: value}, tmp_path)


def test_numbers_are_read_and_defaults_kept(tmp_path):
    settings = load_settings(
        {"SESSION_HOURS": "8.5", "MAIL_PORT": " 2525 ", "LINK_CHECK_TIMEOUT": ""}, tmp_path
    )

    assert (settings["SESSION_HOURS"], settings["MAIL_PORT"]) == (8.5, 2525)
    assert settings["LINK_CHECK_TIMEOUT"] == 10


@pytest.mark.parametrize("value", ["false", "0", "no", "off", "maybe"])
def test_production_refuses_rate_limits_turned_off(tmp_path, value):
    with pytest.raises(ConfigurationError, match=r"^RATELIMIT_ENABLED must not be false"):
        settings(
            tmp_path, TRAINING_ENV="production", SECRET_KEY=LONG_SECRET, RATELIMIT_ENABLED=value
        )


def test_production_refuses_a_key_encryption_secret_equal_to_the_secret_key(tmp_path):
    with pytest.raises(
        ConfigurationError, match=r"^KEY_ENCRYPTION_SECRET must differ from SECRET_KEY"
    ):
        settings(
            tmp_path,
            TRAINING_ENV="production",
            SECRET_KEY=LONG_SECRET,
            KEY_ENCRYPTION_SECRET=f"  {LONG_SECRET} ",
        )


def test_production_refuses_a_missing_key_encryption_secret(tmp_path):
    # Unset, the signing keys would be encrypted with SECRET_KEY itself.
    with pytest.raises(
        ConfigurationError, match=r"^KEY_ENCRYPTION_SECRET must differ from SECRET_KEY"
    ):
        settings(tmp_path, TRAINING_ENV="production", SECRET_KEY=LONG_SECRET)


def test_production_start_stops_with_the_variables_name(monkeypatch):
    monkeypatch.setenv("TRAINING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("KEY_ENCRYPTION_SECRET", "k" * 40)
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    with pytest.raises(ConfigurationError, match="RATELIMIT_ENABLED"):
        create_app()


def test_production_accepts_rate_limits_on_and_a_separate_key_secret(tmp_path):
    config = settings(
        tmp_path,
        TRAINING_ENV="production",
        SECRET_KEY=LONG_SECRET,
        KEY_ENCRYPTION_SECRET="k" * 40,
        RATELIMIT_ENABLED="true",
    )

    assert config["RATELIMIT_ENABLED"] is True
    assert config["KEY_ENCRYPTION_SECRET"] == "k" * 40


def test_outside_production_rate_limits_may_be_off(tmp_path):
    assert settings(tmp_path, RATELIMIT_ENABLED="false")["RATELIMIT_ENABLED"] is False


def test_content_item_checks_default_to_errors_and_accept_warn_only(tmp_path):
    assert settings(tmp_path, TRAINING_ENV="testing")["CONTENT_ITEM_CHECKS"] == "error"
    warn = settings(tmp_path, TRAINING_ENV="testing", CONTENT_ITEM_CHECKS=" Warn ")
    assert warn["CONTENT_ITEM_CHECKS"] == "warn"
    with pytest.raises(ConfigurationError, match="CONTENT_ITEM_CHECKS"):
        settings(tmp_path, TRAINING_ENV="testing", CONTENT_ITEM_CHECKS="skip")


def test_postgresql_connections_give_up_quickly_and_are_tested_before_use(tmp_path):
    url = "postgresql://u@db/aula"
    config = settings(tmp_path, DATABASE_URL=url)
    assert config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": True,
        "connect_args": {"connect_timeout": 3},
    }
    config = settings(tmp_path, DATABASE_URL=url, DATABASE_CONNECT_TIMEOUT="10")
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 10}
    with pytest.raises(ConfigurationError, match="DATABASE_CONNECT_TIMEOUT"):
        settings(tmp_path, DATABASE_URL=url, DATABASE_CONNECT_TIMEOUT="0")


def test_redis_and_broker_settings(tmp_path):
    config = settings(tmp_path)
    assert config["CELERY_BROKER_URL"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert config["RATELIMIT_SWALLOW_ERRORS"] is True

    config = settings(tmp_path, REDIS_URL="redis://cache:6379/0")
    assert config["CELERY_BROKER_URL"] == "redis://cache:6379/0"
    assert config["RATELIMIT_STORAGE_OPTIONS"]["socket_connect_timeout"] == 1
    assert config["RATELIMIT_STORAGE_OPTIONS"]["wrap_exceptions"] is True

    config = settings(tmp_path, REDIS_URL="redis://cache/0", CELERY_BROKER_URL="redis://mq/1")
    assert config["CELERY_BROKER_URL"] == "redis://mq/1"


def test_metrics_settings(tmp_path):
    config = settings(tmp_path)
    assert config["METRICS_TOKEN"] is None
    assert config["METRICS_ALLOWED_NETWORKS"] == ()

    config = settings(
        tmp_path, METRICS_TOKEN=" t0ken ", METRICS_ALLOWED_NETWORKS="10.1.2.0/24, 127.0.0.1,::1"
    )
    assert config["METRICS_TOKEN"] == "t0ken"
    assert config["METRICS_ALLOWED_NETWORKS"] == ("10.1.2.0/24", "127.0.0.1/32", "::1/128")
    with pytest.raises(ConfigurationError, match="METRICS_ALLOWED_NETWORKS"):
        settings(tmp_path, METRICS_ALLOWED_NETWORKS="10.0.0.0/8, intranet")
