"""``rowport keys``: create, list and revoke the API keys of ``rowport serve``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson

from rowport.cli._context import CliState, pass_state

if TYPE_CHECKING:
    from rowport.catalog import KeyStore

__all__ = ["keys"]


def _store(home: Path) -> KeyStore:
    """The home's key store (the keys of every organization live in the home's catalog)."""
    from rowport.catalog import KeyStore, open_database

    path = Path(home).expanduser().absolute()
    return KeyStore(open_database(path / "catalog.db"))


@click.group("keys")
def keys() -> None:
    """Create, list and revoke API keys for `rowport serve`."""


@keys.command("create")
@click.option("--name", required=True, help="What the key is for (shown in `keys list`).")
@click.option(
    "--org",
    "organization",
    default="",
    metavar="ORG",
    help="The organization the key acts for (created on first use; default: the home's own).",
)
@click.option("--read-only", is_flag=True, help="The key can read but not create or cancel.")
@click.option("--json", "as_json", is_flag=True, help="Print the key and its token as JSON.")
@pass_state
def create(state: CliState, name: str, organization: str, read_only: bool, as_json: bool) -> None:
    """Create a key and print its token once (only its hash is kept)."""
    from rowport._organizations import ensure_organization

    ensure_organization(Path(state.home), organization)
    store = _store(state.home)
    try:
        key, token = store.create_key(name, organization=organization, read_only=read_only)
    finally:
        store.db.close()
    if as_json:
        click.echo(orjson.dumps({**key.to_dict(), "token": token}).decode())
        return
    click.echo(
        f"key {key.id} ({key.name}) for organization {key.organization or '(home)'}"
        + (", read-only" if key.read_only else "")
    )
    click.echo(f"token: {token}")
    click.echo(
        "The token is shown only now: keep it; send it as 'Authorization: Bearer <token>'.",
        err=True,
    )


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per key.")
@pass_state
def list_keys(state: CliState, as_json: bool) -> None:
    """List keys (id, name, organization, read-only, created, revoked); never their tokens."""
    store = _store(state.home)
    try:
        found = store.list_keys()
    finally:
        store.db.close()
    for key in found:
        if as_json:
            click.echo(orjson.dumps(key.to_dict()).decode())
            continue
        flags = [f for f, on in (("read-only", key.read_only), ("revoked", key.revoked)) if on]
        click.echo(
            f"{key.id}  {key.name}  org={key.organization or '(home)'}  created {key.created_at}"
            + (f"  [{', '.join(flags)}]" if flags else "")
        )


@keys.command("revoke")
@click.argument("key_id")
@pass_state
def revoke(state: CliState, key_id: str) -> None:
    """Revoke KEY_ID: the server refuses it from its next request on."""
    store = _store(state.home)
    try:
        key = store.revoke_key(key_id)
    finally:
        store.db.close()
    click.echo(f"revoked key {key.id} ({key.name}) at {key.revoked_at}")
