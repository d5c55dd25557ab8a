from __future__ import annotations

import click
from flask.cli import AppGroup

from training.extensions import db
from training.ministries import services

ministries_cli = AppGroup("ministries", help="The CRM member ministries.")


@ministries_cli.command("seed")
def seed() -> None:
    """Create (or update the names of) the eleven CRM member ministries."""
    created, updated = services.seed_ministries()
    db.session.commit()
    click.echo(f"Ministries: {created} created, {updated} updated.")
