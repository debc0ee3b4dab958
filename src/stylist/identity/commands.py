"""`stylist user ...`: add a person from their photos, list people, delete a person and everything theirs."""

from __future__ import annotations

import json

import click

from stylist.identity.users import User, add_user, delete_user, list_users
from stylist.settings import Settings


@click.group()
def user() -> None:
    """The people whose photos looks are personalised with."""


@user.command()
@click.argument("name")
@click.argument("photos", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print {id, photos, warnings} as JSON.")
@click.pass_obj
def add(settings: Settings, name: str, photos: tuple[str, ...], as_json: bool) -> None:
    """Add NAME from 3 or 4 PHOTOS of their face; prints the new user's id."""
    new = add_user(settings, name, photos)
    if as_json:
        click.echo(json.dumps(_to_json(new), ensure_ascii=False))
        return
    # Warnings go to standard error so that standard output is only the id, for scripts.
    for warning in new.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(new.id)


@user.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def list_command(settings: Settings, as_json: bool) -> None:
    """Every user, oldest first."""
    for each in list_users(settings):
        if as_json:
            click.echo(json.dumps({**_to_json(each), "name": each.name, "created_at": each.created_at},
                                  ensure_ascii=False))
        else:
            click.echo(f"{each.id}\t{each.name}\t{each.created_at}\t{len(each.photos)} photos")


@user.command()
@click.argument("user_id")
@click.pass_obj
def delete(settings: Settings, user_id: str) -> None:
    """Delete USER_ID: their photos, crops, weights, looks and videos."""
    delete_user(settings, user_id)
    click.echo(f"deleted user {user_id}")


def _to_json(each: User) -> dict:
    return {"id": each.id, "photos": [str(path) for path in each.crops], "warnings": list(each.warnings)}
