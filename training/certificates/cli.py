from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from training.certificates import issuing, keys
from training.cli_support import domain_errors_exit
from training.ministries import services as ministries
from training.unit_of_work import transactional

certificates_cli = AppGroup("certificates", help="Issue certificates in bulk.")


@click.command("keygen")
@click.argument("code")
@with_appcontext
@domain_errors_exit
@transactional
def keygen(code: str) -> None:
    """Create a new Ed25519 signing key for ministry CODE. The previous key is retired
    but kept and published, so certificates signed with it still verify."""
    ministry = ministries.get_ministry(code)
    key = keys.generate(ministry)
    click.echo(f"{ministry.code}: new signing key {key.kid}")


@certificates_cli.command("check-keys")
def check_keys() -> None:
    """Check that KEY_ENCRYPTION_SECRET decrypts every ministry's current signing key
    (after restoring a backup, before serving): exit status 1, naming the keys, when it
    does not."""
    failing = keys.undecryptable_keys()
    for ministry, key in failing:
        click.echo(f"{ministry.code}: signing key {key.kid} cannot be decrypted", err=True)
    if failing:
        raise click.ClickException(
            f"KEY_ENCRYPTION_SECRET does not decrypt {len(failing)} signing key(s): set the "
            "secret they were made with (the one backed up with the database). Nothing can "
            "be signed until then; certificates already issued still verify."
        )
    click.echo("Every current signing key decrypts with KEY_ENCRYPTION_SECRET.")


@certificates_cli.command("issue")
@click.option("--ministry", "ministry_code", required=True, help="ISO code, e.g. GT.")
@click.option("--cohort", "cohort_id", default=None, help="Only the members of this cohort.")
@domain_errors_exit
@transactional
def issue(ministry_code: str, cohort_id: str | None) -> None:
    """Issue (or approve) the certificate of every learner of the ministry (or of one
    cohort) who completed the program and has none yet. Idempotent."""
    ministry = ministries.get_ministry(ministry_code)
    completed, issued = issuing.issue_for_ministry(ministry, cohort_id)
    click.echo(
        f"{ministry.code}: {completed} completed the program; {issued} certificates issued now."
    )
