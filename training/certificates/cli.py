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
@click.option("--cohort", "cohort_id", default=None, help="Only the members of this cohort.")
@domain_errors_exit
def issue(ministry_code: str, cohort_id: str | None) -> None:
    """Issue (or approve) the certificate of every learner of the ministry (or of one
    cohort) who completed the program and has none yet. Idempotent."""
    from training.accounts.models import User
    from training.catalog.models import Program
    from training.cohorts.models import Cohort, CohortMember

    ministry = ministries.get_ministry(ministry_code)
    statement = (
        db.select(User, Program)
        .join(ProgramCompletion, ProgramCompletion.user_id == User.id)
        .join(Program, Program.id == ProgramCompletion.program_id)
        .where(User.ministry_id == ministry.id)
    )
    if cohort_id is not None:
        cohort = db.session.get(Cohort, int(cohort_id)) if cohort_id.isdigit() else None
        if cohort is None or cohort.ministry_id != ministry.id:
            raise click.ClickException(f"No cohort {cohort_id} in {ministry.code}.")
        statement = statement.join(CohortMember, CohortMember.user_id == User.id).where(
            CohortMember.cohort_id == cohort.id, Program.id == cohort.program_id
        )
    rows = db.session.execute(statement).all()
    issued = 0
    for user, program in rows:
        certificate = services.current_certificate(user, program)
        if certificate is None:
            certificate = services.request_certificate(user, program)
            if certificate.status == services.VALID:
                issued += 1
                continue
        if certificate.status == services.PENDING:
            services.sign_and_number(certificate, None)
            issued += 1
    db.session.commit()
    click.echo(
        f"{ministry.code}: {len(rows)} completed the program; {issued} certificates issued now."
    )
