"""`flask --app app portal api-key …` and `portal webhook …`: access for other systems."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from district_portal.db import get_db

api_key_cli = AppGroup("api-key", help="API keys for other systems (stored hashed).")
webhook_cli = AppGroup("webhook", help="Receivers of signed dossier events.")


def _fail(exc) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@api_key_cli.command("create")
@click.option("--name", required=True, help="Which system holds the key.")
@click.option("--scope", "scopes", multiple=True, required=True,
              help="dossiers:changes; repeat for several.")
@click.option("--office", "office_code", default=None,
              help="Agency code: the key sees this office and those below it only.")
def api_key_create(name: str, scopes: tuple[str, ...], office_code: str | None) -> None:
    """Issue a key and print it once: only its SHA-256 hash is stored."""
    from district_portal.services.api.keys import ApiKeyError, create_key

    try:
        with get_db().transaction() as session:
            key, secret = create_key(session, name=name, scopes=list(scopes),
                                     office_code=office_code)
            prefix = key.prefix
    except ApiKeyError as exc:
        _fail(exc)
    click.echo(f"API key {prefix} created for {name}. Keep this secret now; it is not shown "
               f"again:")
    click.echo(secret)


@api_key_cli.command("list")
def api_key_list() -> None:
    """Every key with its scope, office, creation, last use and revocation."""
    from district_portal.services.api.keys import list_keys

    with get_db().transaction(write=False) as session:
        rows = [(k.prefix, k.name, ",".join(k.scopes), k.office.agency_code if k.office else "*",
                 _when(k.created_at), _when(k.last_used_at),
                 "revoked " + _when(k.revoked_at) if k.revoked_at else "active")
                for k in list_keys(session)]
    for row in rows:
        click.echo("  ".join(row))
    if not rows:
        click.echo("no API keys")


@api_key_cli.command("revoke")
@click.argument("key_id")
def api_key_revoke(key_id: str) -> None:
    """Revoke the key with this id (the prefix shown by `list`)."""
    from district_portal.services.api.keys import ApiKeyError, revoke_key

    try:
        with get_db().transaction() as session:
            revoke_key(session, key_id)
    except ApiKeyError as exc:
        _fail(exc)
    click.echo(f"API key {key_id} revoked")


@webhook_cli.command("add")
@click.option("--url", required=True)
@click.option("--secret", required=True, help="Shared secret that signs each delivery.")
@click.option("--key", "key_id", default=None, help="API key id: what that key may see.")
@click.option("--office", "office_code", default=None,
              help="Agency code: events of this office and those below it.")
def webhook_add(url: str, secret: str, key_id: str | None, office_code: str | None) -> None:
    """Register a receiver for one API key or one office."""
    from district_portal.services.api.webhooks import WebhookError, register

    try:
        with get_db().transaction() as session:
            hook = register(session, url=url, secret=secret, key_prefix=key_id,
                            office_code=office_code)
            public_id = hook.public_id
    except WebhookError as exc:
        _fail(exc)
    click.echo(f"webhook {public_id} registered for {url}")


@webhook_cli.command("list")
def webhook_list() -> None:
    """Every webhook with its key or office."""
    from district_portal.services.api.webhooks import list_webhooks

    with get_db().transaction(write=False) as session:
        rows = [(h.public_id, h.url, f"key {h.api_key.prefix}" if h.api_key else
                 f"office {h.office.agency_code}" if h.office else "-",
                 "removed " + _when(h.revoked_at) if h.revoked_at else "active")
                for h in list_webhooks(session)]
    for row in rows:
        click.echo("  ".join(row))
    if not rows:
        click.echo("no webhooks")


@webhook_cli.command("remove")
@click.argument("webhook_id")
def webhook_remove(webhook_id: str) -> None:
    """Stop a webhook; its deliveries still waiting are not sent."""
    from district_portal.services.api.webhooks import WebhookError, revoke

    try:
        with get_db().transaction() as session:
            revoke(session, webhook_id)
    except WebhookError as exc:
        _fail(exc)
    click.echo(f"webhook {webhook_id} removed")
