"""`stylist user add|list|delete|sizes`: the people looks are made for. `user train` is identity's (cli.py adds it).

OpenCV, which intake uses to find faces, is imported inside the commands, so that `stylist --help` and the
other command groups start without it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from stylist.settings import Settings

if TYPE_CHECKING:
    from stylist.people.users import User


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
    from stylist.people.users import add_user
    from stylist.presets import get_preset

    # Crops are cut at the size the preset's image model trains on.
    new = add_user(settings, name, photos, crop_size=get_preset(settings.preset).resolution)
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
    from stylist.people.users import list_users

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
    """Delete USER_ID: their photos, crops, weights, looks, videos and jobs."""
    from stylist.jobs.queue import open_queue
    from stylist.people.forget import forget_user

    if settings.database is None and not (settings.data_dir / "jobs.db").exists():
        forget_user(settings, user_id, None)  # no queue was ever opened here: nothing to cancel
    else:
        queue = open_queue(settings)
        try:
            forget_user(settings, user_id, queue)
        finally:
            queue.close()
    click.echo(f"deleted user {user_id}")


@user.command()
@click.argument("user_id")
@click.argument("pairs", nargs=-1, metavar="[SLOT=SIZE]...")
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "sizes": {slot: size}} as JSON.')
@click.pass_obj
def sizes(settings: Settings, user_id: str, pairs: tuple[str, ...], as_json: bool) -> None:
    """Set USER_ID's sizes (dress=M "shoes=EU 39" bottom=32/34; SLOT= clears one) or, with none, show them.

    Slots: dress, top, bottom, outerwear, shoes. Looks then offer, for those slots, only products in stock in
    that size (products whose shop lists no sizes stay, and the look says so).
    """
    from stylist.errors import StylistError
    from stylist.people.sizes import get_sizes, set_sizes

    asked = {}
    for pair in pairs:
        slot, equals, size = pair.partition("=")
        if not equals:
            raise StylistError(f"{pair!r} is not SLOT=SIZE, such as dress=M or \"shoes=EU 39\"")
        asked[slot.strip().lower()] = size
    worn = set_sizes(settings, user_id, asked) if asked else get_sizes(settings, user_id)
    if as_json:
        click.echo(json.dumps({"id": user_id, "sizes": worn}, ensure_ascii=False))
    elif not worn:
        click.echo(f"no sizes for {user_id}: looks show products in any size", err=not asked)
    else:
        for slot, size in worn.items():
            click.echo(f"{slot}\t{size}")


def _to_json(each: User) -> dict:
    return {"id": each.id, "photos": [str(path) for path in each.crops], "warnings": list(each.warnings)}
