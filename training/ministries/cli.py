from __future__ import annotations

import click
from flask.cli import AppGroup

from training.ministries import services
from training.unit_of_work import transactional

ministries_cli = AppGroup("ministries", help="The CRM member ministries.")


@ministries_cli.command("seed")
@transactional
def seed() -> None:
    """Create (or update the names of) the eleven CRM member ministries."""
    created, updated = services.seed_ministries()
    click.echo(f"Ministries: {created} created, {updated} updated.")
