from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from training.certificates import keys, services
from training.cli_support import domain_errors_exit
from training.extensions import db
from training.ministries import services as ministries
from training.progress.models import ProgramCompletion

certificates_cli = AppGroup("certificates", help="Issue certificates in bulk.")


@click.command("keygen")
@click.argument("code")
@with_appcontext
@domain_errors_exit
def keygen(code: str) -> None:
    """Create a new Ed25519 signing key for ministry CODE. The previous key is retired
    but kept and published, so certificates signed with it still verify."""
    ministry = ministries.get_ministry(code)
    key = keys.generate(ministry)
    db.session.commit()
    click.echo(f"{ministry.code}: new signing key {key.kid}")


@certificates_cli.command("issue")
@click.option("--ministry", "ministry_code", required=True, help="ISO code, e.g. GT.")
@domain_errors_exit
def issue(ministry_code: str) -> None:
    """Issue (or approve) the certificate of every learner of the ministry who completed
    the program and has none yet. Idempotent."""
    from training.accounts.models import User
    from training.catalog.models import Program

    ministry = ministries.get_ministry(ministry_code)
    rows = db.session.execute(
        db.select(User, Program)
        .join(ProgramCompletion, ProgramCompletion.user_id == User.id)
        .join(Program, Program.id == ProgramCompletion.program_id)
        .where(User.ministry_id == ministry.id)
    ).all()
    issued = 0
    for user, program in rows:
        certificate = services.request_certificate(user, program)
        if certificate.status == services.PENDING:
            services._sign_and_number(certificate, None)
            issued += 1
        elif certificate.issued_at and certificate.serial and certificate.signature:
            continue
    db.session.commit()
    click.echo(
        f"{ministry.code}: {len(rows)} learners completed the program; "
        f"{issued} certificates approved now."
    )
