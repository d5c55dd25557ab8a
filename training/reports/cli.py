from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from marshmallow import ValidationError

from training.accounts import users
from training.cli_support import domain_errors_exit
from training.errors import NotFound
from training.reports import formats, item_statistics, presenters, schemas, services

reports_cli = AppGroup("reports", help="Export reports from the command line.")

LANGUAGES = ("es", "en", "fr")


def _counted(rows: Iterable[Any], seen: list[int]) -> Iterator[Any]:
    for row in rows:
        seen[0] += 1
        yield row


@reports_cli.command("export")
@click.argument("report", type=click.Choice(sorted(presenters.REPORTS)))
@click.option(
    "--as",
    "email",
    required=True,
    help="E-mail of the coordinator, administrator or regional user whose reach applies.",
)
@click.option("--ministry", default=None, help="Administrators: the ministry's code, e.g. GT.")
@click.option("--cohort", default=None, help="Only the members of this cohort (its id).")
@click.option("--post", default=None, help="Only the staff of this post (its id).")
@click.option("--status", default=None, help="completion: not_started, in_progress, completed.")
@click.option("--module", default=None, help="items: only this module (its slug).")
@click.option("--from", "date_from", default=None, help="First day, YYYY-MM-DD (UTC).")
@click.option("--to", "date_to", default=None, help="Last day, YYYY-MM-DD (UTC).")
@click.option(
    "--format", "format_name", type=click.Choice(formats.names()), default="csv", show_default=True
)
@click.option("--language", type=click.Choice(LANGUAGES), default=None, help="Default: the user's.")
@click.option(
    "--output",
    "-o",
    default="-",
    show_default=True,
    help="The file to write; - for standard output.",
)
@domain_errors_exit
def export(
    report: str, email: str, format_name: str, language: str | None, output: str, **given: Any
) -> None:
    """Write REPORT as CSV or XLSX, with the reach of the user named by --as (their
    ministry, or any for administrators) and the filters the report accepts in the API.
    The rows stream: an export of any size holds a bounded number of them in memory.
    A file is written under a temporary name and renamed when complete."""
    actor = users.find_by_email(email)
    if actor is None or not actor.active:
        raise NotFound(f"No active user with e-mail {email!r}.")
    raw = {
        {"date_from": "from", "date_to": "to"}.get(name, name): value
        for name, value in given.items()
        if value is not None
    }
    try:
        query = schemas.QUERY[report]().load(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"--{name}: {' '.join(map(str, messages))}"
            for name, messages in error.normalized_messages().items()
        )
        raise click.UsageError(f"Invalid options for {report}: {problems}") from None
    definition = presenters.REPORTS[report]
    with force_locale(language or actor.language):
        rows, ministry = definition.rows_for(
            actor, services.Filters.from_query(query), query.get("ministry")
        )
        table = definition.table(language or actor.language)
        seen = [0]
        chunks = formats.get(format_name).chunks(
            str(table.title), table.headers(), table.export_rows(_counted(rows, seen))
        )
        if output == "-":
            _write(chunks, sys.stdout.buffer)
        else:
            _write_file(chunks, Path(output))
    where = "standard output" if output == "-" else output
    scope = f" ({ministry})" if ministry else ""
    click.echo(f"{report}{scope}: {seen[0]} rows written to {where}.", err=True)


def _write(chunks: Iterable[bytes], handle: IO[bytes]) -> None:
    for chunk in chunks:
        handle.write(chunk)
    handle.flush()


def _write_file(chunks: Iterable[bytes], path: Path) -> None:
    """All or nothing: a failed export leaves no partial file behind."""
    if path.is_dir():
        raise click.UsageError(f"--output {path} is a directory.")
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as handle:
            _write(chunks, handle)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"Could not write {path}: {error.strerror}.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@click.command("item-report")
@click.option("--module", default=None, help="Only this module (its slug).")
@with_appcontext
@domain_errors_exit
def item_report(module: str | None) -> None:
    """Item statistics for content authors, every ministry pooled (counts only): per
    question its attempts, facility, discrimination (upper-lower 27 %) and how often
    each option is chosen, with the flags to review. Registered as `content item-report`."""
    items = item_statistics.item_statistics(module)
    click.echo(
        "Facility: mean credit (share right). Discrimination: upper minus lower 27 % of the "
        f"attempts by score. Indices from {item_statistics.MIN_ANSWERS} answers on. "
        "Options: * marks a correct one, ! one chosen by under 5 %."
    )
    current = None
    for item in items:
        if (item.module, item.version) != current:
            current = (item.module, item.version)
            click.echo(f"\n{item.module} (version {item.version})")
            click.echo(
                f"  {'question':<12} {'type':<11} {'objective':<14} {'attempts':>8} "
                f"{'facility':>8} {'discrim.':>8}  flags"
            )
        click.echo(
            f"  {item.question:<12} {item.type:<11} {item.objective or '-':<14} "
            f"{item.attempts:>8} {_index(item.facility):>8} {_index(item.discrimination):>8}  "
            f"{', '.join(item.flags) or '-'}"
        )
        options = "  ".join(
            f"{option.key}{'*' if option.correct else ''}{'!' if option.rare else ''} "
            f"{option.chosen}{_share(option.share)}"
            for option in item.options
        )
        blank = f"  blank {item.blank}" if item.blank else ""
        click.echo(f"  {'':<12} options: {options}{blank}")
    flagged = sum(1 for item in items if item.flags)
    click.echo(f"\n{len(items)} question(s), {flagged} flagged.")


def _index(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _share(value: float | None) -> str:
    return "" if value is None else f" ({value * 100:.0f} %)"
