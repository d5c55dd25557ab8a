"""The deployment files in deploy/: systemd units that systemd accepts, an environment
file that names every setting and starts a production configuration, an HAProxy file
that HAProxy accepts, an nginx file with what the README promises, and the gunicorn
configuration."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from training.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = ("aula-web.service", "aula-worker.service", "aula-beat.service")
INSTALLED_AT = "/opt/aula-consular"


def _tool(path: str, package: str) -> str:
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: install Debian's {package}", pytrace=False)
    return path


def unit_settings(name: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _sep, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def _sourced(text: str) -> dict[str, str]:
    """What a shell has after ``set -a; . file``: the variables the file sets."""
    script = "set -a; . /dev/stdin; set +a; env -0"
    result = subprocess.run(
        ["/bin/sh", "-c", script], input=text, capture_output=True, text=True, env={}, check=True
    )
    pairs = (item.partition("=") for item in result.stdout.split("\0") if item)
    return {key: value for key, _sep, value in pairs if key not in {"PWD", "OLDPWD", "SHLVL", "_"}}


def environment_example(commented_too: bool = False) -> dict[str, str]:
    """The example's settings as a shell (and systemd) reads them; ``commented_too``:
    with the commented-out defaults switched on."""
    text = (DEPLOY / "aula-consular.env.example").read_text()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r'[A-Z][A-Z0-9_]*=("[^"]*"|[^"\s]*)', line), line
    if commented_too:
        text = re.sub(r"^#([A-Z][A-Z0-9_]*=)", r"\1", text, flags=re.MULTILINE)
    return _sourced(text)


def test_systemd_accepts_the_units(tmp_path):
    analyze = _tool("/usr/bin/systemd-analyze", "systemd")
    # The units name the installed paths; here the repository stands in for them.
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text().replace(INSTALLED_AT, str(ROOT))
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Unknown keys and bad values are only warnings: there must be none.
    assert [line for line in result.stderr.splitlines() if "aula-" in line] == []


def test_the_units_run_what_the_project_ships():
    web = unit_settings("aula-web.service")
    (command,) = web["ExecStart"]
    assert command == f"{INSTALLED_AT}/.venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app"
    assert (ROOT / "deploy" / "gunicorn.conf.py").is_file() and (ROOT / "wsgi.py").is_file()
    assert web["Environment"] == ["PROMETHEUS_MULTIPROC_DIR=/run/aula-consular/metrics"]
    assert web["RuntimeDirectory"] == ["aula-consular"]
    for name, role in (("aula-worker.service", "worker"), ("aula-beat.service", "beat")):
        (command,) = unit_settings(name)["ExecStart"]
        assert command.startswith(f"{INSTALLED_AT}/.venv/bin/celery -A ${{CELERY_APP}} {role} ")
    for name in UNITS:
        settings = unit_settings(name)
        assert settings["EnvironmentFile"] == ["/etc/aula-consular/aula-consular.env"]
        assert settings["User"] == ["aula"] and settings["WorkingDirectory"] == [INSTALLED_AT]
    assert environment_example()["CELERY_APP"] == "training.jobs.worker:celery"


def _variables_read(source: Path) -> set[str]:
    text = source.read_text()
    readers = r"(?:environ\.get\(|(?:_number|_rate|_networks)\(\s*environ,\s*)"
    return set(re.findall(readers + r'"([A-Z][A-Z0-9_]*)"', text))


def test_the_environment_file_names_every_setting_and_no_secret():
    text = (DEPLOY / "aula-consular.env.example").read_text()
    named = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    read = _variables_read(ROOT / "training" / "config.py") | _variables_read(
        DEPLOY / "gunicorn.conf.py"
    )
    # gunicorn.conf.py's own bookkeeping, never set by hand.
    read -= {"AULA_METRICS_DIR_CLEARED", "AULA_METRICS_DIR_OWNED"}
    assert len(read) > 40
    assert sorted(read - named) == []
    values = environment_example()
    for secret in ("SECRET_KEY", "KEY_ENCRYPTION_SECRET", "MAIL_PASSWORD"):
        assert values[secret] == ""
    assert "METRICS_TOKEN" not in values  # commented out


def test_the_environment_file_starts_a_production_configuration(tmp_path):
    environ = {
        **environment_example(),
        "SECRET_KEY": "s" * 48,
        "KEY_ENCRYPTION_SECRET": "k" * 48,
    }
    settings = load_settings(environ, tmp_path)
    assert settings["TRAINING_ENV"] == "production"
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert settings["TRUSTED_PROXIES"] == 1
    assert (
        settings["RATELIMIT_STORAGE_URI"] == settings["REDIS_URL"] == settings["CELERY_BROKER_URL"]
    )
    # Every commented-out default is one the application accepts.
    defaults = environment_example(commented_too=True)
    assert defaults["LOGIN_LIMIT_PER_ACCOUNT"] == "10 per 15 minutes"
    assert defaults["MAIL_SENDER"] == "Aula Consular <no-reply@aula.example.org>"
    defaults = {key: value for key, value in defaults.items() if value}
    secrets = {key: environ[key] for key in ("SECRET_KEY", "KEY_ENCRYPTION_SECRET")}
    assert load_settings({**defaults, **secrets}, tmp_path)["LINK_CHECK_TIMEOUT"] == 10


def test_the_command_wrapper_is_a_valid_shell_script():
    script = DEPLOY / "aula-flask"
    assert os.access(script, os.X_OK)
    subprocess.run(["/bin/sh", "-n", str(script)], check=True)
    assert "/etc/aula-consular/aula-consular.env" in script.read_text()


def _self_signed_pem(path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aula.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def test_haproxy_accepts_its_example(tmp_path):
    haproxy = _tool("/usr/sbin/haproxy", "haproxy")
    pem = tmp_path / "aula.pem"
    _self_signed_pem(pem)
    text = (DEPLOY / "haproxy.cfg").read_text()
    assert "/etc/haproxy/certs/aula.example.org.pem" in text
    config = tmp_path / "haproxy.cfg"
    config.write_text(text.replace("/etc/haproxy/certs/aula.example.org.pem", str(pem)))
    result = subprocess.run(
        [haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    # Two app servers, checked on /healthz, with the forwarded headers and no /metrics.
    assert len(re.findall(r"^\s+server app\d \S+:8000 check$", text, flags=re.MULTILINE)) == 2
    assert "http-check send meth GET uri /healthz" in text
    assert "option forwardfor" in text and "X-Forwarded-Proto https" in text
    assert "path /metrics" in text


def test_the_nginx_example_balances_two_servers_with_forwarded_headers():
    text = (DEPLOY / "nginx.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert code.count("{") == code.count("}")
    upstream = re.search(r"upstream aula_app \{(.*?)\}", code, flags=re.DOTALL)
    assert upstream and len(re.findall(r"^\s+server \S+:8000 ", upstream[1], re.M)) == 2
    for header in (
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $host;",
        "proxy_set_header Host $host;",
    ):
        assert header in code
    assert re.search(r"location = /metrics \{\s*return 404;\s*\}", code)
    assert "proxy_pass http://aula_app;" in code
    # Every statement ends with ; or opens a block.
    for line in code.splitlines():
        stripped = line.strip()
        assert not stripped or stripped.endswith((";", "{", "}")), line


def test_gunicorn_accepts_its_configuration(tmp_path):
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("METRICS_", "PROMETHEUS"))},
        "TRAINING_ENV": "development",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'aula.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "deploy/gunicorn.conf.py",
         "wsgi:app"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert shutil.which("gunicorn", path=str(Path(sys.executable).parent))
