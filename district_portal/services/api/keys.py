"""API keys for other systems: issued by admins, stored as a SHA-256 hash, scoped, revocable.

A key reads `dp_<prefix>_<secret>`. The prefix is the key's public id (shown in lists, used
to revoke); the database keeps only the SHA-256 of the whole key, so a stolen database
issues no working key. Authentication never says what was wrong: a missing, malformed,
unknown or revoked key is 401, a valid key without the scope asked for is 403.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from district_portal.api_vocabulary import SCOPE_CHANGES, SCOPES  # noqa: F401 (re-exported)
from district_portal.models import ApiKey, User
from district_portal.models.types import utcnow
from district_portal.services.api.offices import by_code
from district_portal.services.errors import ServiceError

# Recording every use would make each API call a write: once a minute per key is enough.
LAST_USE_RESOLUTION = timedelta(minutes=1)
_KEY = re.compile(r"dp_([0-9a-f]{12})_([A-Za-z0-9_\-]{43})")
# Compared against when the prefix is unknown, so unknown and wrong keys take the same time.
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


class ApiKeyError(ServiceError):
    """A key that cannot be created or revoked as asked (shown to the admin as it is)."""


class ApiAuthError(ServiceError):
    """A request the key does not open: 401 (no valid key) or 403 (valid, lacks the scope)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, *, name: str, scopes: list[str] | tuple[str, ...],
               office_code: str | None = None, created_by: User | None = None,
               now: datetime | None = None) -> tuple[ApiKey, str]:
    """Issue a key and return it with its secret, which is never stored nor shown again."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ApiKeyError(_l("Give the key a name of at most 200 characters."))
    scopes = sorted(set(scopes))
    if not scopes or any(s not in SCOPES for s in scopes):
        raise ApiKeyError(_l("Choose the key's scope among: %(scopes)s.",
                             scopes=", ".join(SCOPES)))
    office = None
    if office_code:
        office = by_code(session, office_code)
        if office is None:
            raise ApiKeyError(_l("No office has the code %(code)s.", code=office_code))
    prefix = secrets.token_hex(6)
    secret = f"dp_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(prefix=prefix, name=name, secret_hash=hash_key(secret), scopes=scopes,
                 office=office, created_by_id=created_by.id if created_by else None,
                 created_at=now or utcnow())
    session.add(key)
    session.flush()
    return key, secret


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, newest first (revoked ones too: their last use stays visible)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc(),
                                                        ApiKey.id.desc())))


def revoke_key(session: Session, prefix: str, now: datetime | None = None) -> ApiKey:
    """Revoke the key with this public prefix; revoking twice keeps the first time."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == (prefix or "").strip()))
    if key is None:
        raise ApiKeyError(_l("No API key has the id %(id)s.", id=prefix), 404)
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
        session.flush()
    return key


def authenticate(session: Session, authorization: str | None, scope: str,
                 now: datetime | None = None) -> ApiKey:
    """The active key presented as `Bearer <key>` holding `scope`, with its last use
    recorded (at most once a minute); otherwise ApiAuthError 401 or 403."""
    match = _KEY.fullmatch(_bearer(authorization))
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1))) \
        if match else None
    presented = hash_key(match.group(0)) if match else _DUMMY_HASH
    stored = key.secret_hash if key is not None else _DUMMY_HASH
    if not hmac.compare_digest(presented, stored) or key is None or not key.active:
        raise ApiAuthError(_l("A valid API key is required (Authorization: Bearer <key>)."),
                           401)
    if scope not in (key.scopes or []):
        raise ApiAuthError(_l("This API key may not use this endpoint."), 403)
    _record_use(session, key, now or utcnow())
    return key


def _bearer(header: str | None) -> str:
    scheme, _, value = (header or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _record_use(session: Session, key: ApiKey, now: datetime) -> None:
    if key.last_used_at is not None and now - key.last_used_at < LAST_USE_RESOLUTION:
        return
    try:
        with session.begin_nested():
            key.last_used_at = now
    except OperationalError:
        # A read transaction that cannot take the write lock now (SQLite): the last use is
        # a hint, recorded on a later call; the request itself goes on.
        session.refresh(key)
