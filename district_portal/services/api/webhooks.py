"""Webhooks: each dossier event is POSTed as JSON, signed with HMAC-SHA256, to the receivers
that may see it, through the notification outbox (channel "webhook").

The outbox row is written in the event's own transaction (`queue_event`, called by the
workflow), so a refused action sends nothing and a committed one is never lost; the sender
(`portal send-notifications`) retries failures with the outbox's backoff.

Each delivery carries
  X-Portal-Timestamp: <unix seconds at sending>
  X-Portal-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>
  X-Portal-Event-Id: <the event's stable id, the same on every retry>
Receivers recompute the signature over the raw body and refuse timestamps older than a few
minutes, so a captured delivery cannot be replayed later (docs/api.md has an example).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.request
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from district_portal.api_vocabulary import MIN_SECRET
from district_portal.models import ApiKey, DossierEvent, Notification, User, Webhook
from district_portal.models.types import utcnow
from district_portal.services import notifications
from district_portal.services.api.changes import change_item
from district_portal.services.api.keys import SCOPE_CHANGES
from district_portal.services.api.offices import by_code, office_and_below
from district_portal.services.errors import ServiceError

DEFAULT_TIMEOUT = 10  # seconds for one delivery (connect and each read)
USER_AGENT = "DistrictPortal-Webhook/1"


class WebhookError(ServiceError):
    """A webhook that cannot be registered or removed as asked."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Portal-Signature value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def register(session: Session, *, url: str, secret: str, key_prefix: str | None = None,
             office_code: str | None = None, created_by: User | None = None) -> Webhook:
    """Register a receiver for one API key's view or for one office (and those below)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 300:
        raise WebhookError(_l("Enter the receiver's address as http:// or https:// (at most "
                              "300 characters)."))
    if len(secret or "") < MIN_SECRET or len(secret) > 200:
        raise WebhookError(_l("The secret must have %(min)d to 200 characters.", min=MIN_SECRET))
    if bool(key_prefix) == bool(office_code):
        raise WebhookError(_l("Choose either an API key or an office for the webhook."))
    key = office = None
    if key_prefix:
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == key_prefix.strip()))
        if key is None or not key.active or SCOPE_CHANGES not in key.scopes:
            raise WebhookError(_l("No active API key with the scope %(scope)s has the id "
                                  "%(id)s.", scope=SCOPE_CHANGES, id=key_prefix))
    else:
        office = by_code(session, office_code.strip())
        if office is None:
            raise WebhookError(_l("No office has the code %(code)s.", code=office_code))
    hook = Webhook(public_id=secrets.token_hex(6), url=url, secret=secret, api_key=key,
                   office=office, created_by_id=created_by.id if created_by else None)
    session.add(hook)
    session.flush()
    return hook


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.created_at.desc(),
                                                         Webhook.id.desc())))


def revoke(session: Session, public_id: str, now: datetime | None = None) -> Webhook:
    """Stop a webhook; deliveries still waiting in the outbox fail instead of being sent."""
    hook = session.scalar(select(Webhook).where(Webhook.public_id == (public_id or "").strip()))
    if hook is None:
        raise WebhookError(_l("No webhook has the id %(id)s.", id=public_id), 404)
    if hook.revoked_at is None:
        hook.revoked_at = now or utcnow()
        session.flush()
    return hook


def _receivers(session: Session, dossier, event: DossierEvent) -> list[Webhook]:
    hooks = session.scalars(select(Webhook).where(Webhook.revoked_at.is_(None))).all()
    touched = {dossier.receiving_office_id, dossier.handling_office_id, event.from_office_id,
               event.to_office_id} - {None}
    chosen = []
    for hook in hooks:
        key = hook.api_key
        if key is not None and (not key.active or SCOPE_CHANGES not in key.scopes):
            continue
        scope = hook.office_id if key is None else key.office_id
        if scope is None or touched & office_and_below(session, scope):
            chosen.append(hook)
    return chosen


def queue_event(session: Session, event: DossierEvent) -> int:
    """Queue one signed delivery of `event` per webhook that may see it, in the caller's
    transaction; returns how many were queued."""
    hooks = _receivers(session, event.dossier, event)
    if not hooks:
        return 0
    dossier = event.dossier
    item = change_item(
        event, dossier_public_id=dossier.public_id, dossier_code=dossier.code,
        procedure_code=dossier.procedure.code,
        receiving=_code(dossier.receiving_office), handling=_code(dossier.handling_office),
        from_office=_code(event.from_office), to_office=_code(event.to_office))
    body = json.dumps({"type": "dossier.event", "event": item}, ensure_ascii=False,
                      separators=(",", ":"))
    for hook in hooks:
        # The outbox row's subject carries the event id (sent as X-Portal-Event-Id).
        note = notifications.queue(session, channel="webhook", recipient=hook.url, text=body,
                                   subject=item["event_id"], dossier=dossier)
        note.webhook_id = hook.id
    session.flush()
    return len(hooks)


def _code(office) -> str | None:
    return office.agency_code if office is not None else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure to retry, never a re-POST somewhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def deliver(note: Notification, now: datetime, timeout: float = DEFAULT_TIMEOUT) -> None:
    """POST one outbox row to its webhook, signed now; raises on any failure (the outbox
    retries) and PermanentError when the webhook or its key was revoked."""
    session = object_session(note)
    hook = session.get(Webhook, note.webhook_id) if note.webhook_id else None
    if hook is None or hook.revoked_at is not None or \
            (hook.api_key is not None and not hook.api_key.active):
        raise notifications.PermanentError("the webhook was removed or its key revoked")
    body = note.text.encode("utf-8")
    timestamp = int(now.timestamp())
    request = urllib.request.Request(hook.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Portal-Event-Id": note.subject or "",
        "X-Portal-Timestamp": str(timestamp),
        "X-Portal-Signature": sign(hook.secret, timestamp, body),
    })
    with _opener.open(request, timeout=timeout) as response:  # raises on 3xx/4xx/5xx
        response.read(1024)
