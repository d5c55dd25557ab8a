from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from training.accounts import users
from training.accounts.models import ROLE_VALUES
from training.cli_support import domain_errors_exit
from training.errors import NotFound
from training.ministries import services as ministries
from training.unit_of_work import transactional

users_cli = AppGroup("users", help="Create users and change their roles or status.")

role_choice = click.Choice(ROLE_VALUES)


def _user(email: str):  # type: ignore[no-untyped-def]
    user = users.find_by_email(email)
    if user is None:
        raise NotFound(f"No user with e-mail {email!r}.")
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "full_name", required=True, help="Full name, in any script.")
@click.option("--ministry", "ministry_code", required=True, help="ISO code, e.g. GT.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=role_choice,
    default=["learner"],
    show_default=True,
    help="Repeat for several roles.",
)
@click.option("--post", "post_id", default=None, help="Id of a post of that ministry.")
@click.option("--language", default="es", type=click.Choice(["es", "en", "fr"]), show_default=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of prompting.",
)
@domain_errors_exit
@transactional
def create(
    email: str,
    full_name: str,
    ministry_code: str,
    roles: tuple[str, ...],
    post_id: str | None,
    language: str,
    password_stdin: bool,
) -> None:
    """Create a user. The password is prompted for, or read from standard input; it is
    never accepted as an argument (arguments end up in shell history and ps)."""
    ministry = ministries.get_ministry(ministry_code)
    post = ministries.get_post(post_id, ministry=ministry) if post_id else None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = users.create_user(
        email=email,
        full_name=full_name,
        ministry=ministry,
        roles=list(roles),
        password=password,
        language=language,
        post=post,
    )
    click.echo(f"Created user {user.id} <{user.email}> ({', '.join(sorted(roles))}).")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("roles", nargs=-1, required=True, type=role_choice)
@domain_errors_exit
@transactional
def set_role(email: str, roles: tuple[str, ...]) -> None:
    """Replace the roles of the user with EMAIL by ROLES."""
    user = users.set_roles(_user(email), list(roles), actor=None)
    click.echo(f"{user.email}: {', '.join(sorted(r.value for r in user.roles))}.")


@users_cli.command("deactivate")
@click.argument("email")
@domain_errors_exit
@transactional
def deactivate(email: str) -> None:
    """Stop the user with EMAIL from signing in. Their records stay."""
    user = users.deactivate(_user(email), actor=None)
    click.echo(f"{user.email} can no longer sign in.")


@users_cli.command("reactivate")
@click.argument("email")
@domain_errors_exit
@transactional
def reactivate(email: str) -> None:
    """Let the user with EMAIL sign in again (undoes ``users deactivate``)."""
    user = users.reactivate(_user(email), actor=None)
    click.echo(f"{user.email} can sign in again.")
