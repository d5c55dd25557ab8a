from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from training.catalog import services
from training.unit_of_work import transactional

content_cli = AppGroup("content", help="Check and load the course content.")


def _root(path: str | None) -> Path:
    if path:
        return Path(path)
    configured = Path(current_app.config["CONTENT_PATH"])
    if configured.is_absolute():
        return configured
    return Path(current_app.root_path).parent / configured


ITEM_CHECKS = click.option(
    "--item-checks",
    type=click.Choice(["error", "warn"]),
    default=None,
    help="Report the item-writing checks as errors (default) or as warnings "
    "(default: the CONTENT_ITEM_CHECKS setting). Warnings do not stop the content.",
)


def _item_checks(option: str | None) -> str:
    return option or str(current_app.config.get("CONTENT_ITEM_CHECKS") or "error")


@content_cli.command("validate")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@ITEM_CHECKS
def validate(path: str | None, item_checks: str | None) -> None:
    """Check every content file under PATH (default: content/manual_modules).

    Prints each problem as FILE:LINE: MESSAGE and exits with status 1 if any is an
    error (warnings are printed as FILE:LINE: warning: MESSAGE).
    """
    problems = services.validate(_root(path), item_checks=_item_checks(item_checks))
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(1 for problem in problems if not problem.warning)
    if errors:
        click.echo(f"{errors} problem(s) found.", err=True)
        raise SystemExit(1)
    if problems:
        click.echo(f"Content is valid, with {len(problems)} warning(s).")
        return
    click.echo("Content is valid.")


@content_cli.command("sync")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@ITEM_CHECKS
@transactional
def sync(path: str | None, item_checks: str | None) -> None:
    """Load the content under PATH into the database, in one transaction.

    Changed modules get a new version; unchanged ones are left alone. Nothing is
    written when any file has a problem (they are listed as by ``validate``).
    """
    try:
        report = services.sync(_root(path), item_checks=_item_checks(item_checks))
    except services.ContentInvalid as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        errors = sum(1 for problem in error.problems if not problem.warning)
        click.echo(f"{errors} problem(s) found; nothing was loaded.", err=True)
        raise SystemExit(1) from None
    for warning in report.warnings:
        click.echo(str(warning), err=True)
    if not report.changed:
        click.echo("Content is already up to date.")
        return
    for slug in report.created_modules:
        click.echo(f"new module: {slug}")
    for label in report.new_versions:
        click.echo(f"new version: {label}")
    for slug in report.retired:
        click.echo(f"retired (no longer in the content): {slug}")
    if report.program_changed:
        click.echo("program updated")
