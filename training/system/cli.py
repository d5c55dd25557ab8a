from __future__ import annotations

import click
from flask.cli import with_appcontext

from training.cli_support import domain_errors_exit
from training.system import services
from training.unit_of_work import transactional


@click.command("demo")
@with_appcontext
@domain_errors_exit
@transactional
def demo() -> None:
    """Load a complete demo data set (idempotent) and print the demo logins.

    Refused when TRAINING_ENV=production.
    """
    logins = services.load_demo()
    click.echo("Demo data ready. Sign in at /login with any of these accounts:")
    for login in logins:
        click.echo(f"  {login.email:<24} {login.ministry}  {', '.join(login.roles)}")
    click.echo(f"Password for every demo account: {services.DEMO_PASSWORD}")
