"""Server-side login sessions: one row per login on one device. The cookie carries a random
id, the table its SHA-256; a session is good while its row is open and within its absolute
lifetime. Functions flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from district_portal.models import User, UserSession
from district_portal.models.types import utcnow

# Absolute lifetimes, whatever the activity: a working day at a shared desk for staff, a
# month on a resident's own phone.
STAFF_LIFETIME = timedelta(hours=12)
RESIDENT_LIFETIME = timedelta(days=30)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def lifetime(user: User) -> timedelta:
    return STAFF_LIFETIME if user.is_staff else RESIDENT_LIFETIME


def start_session(session: Session, user: User, now: datetime | None = None) -> str:
    """Open a session for `user` and return its id for the cookie (only its hash is kept).
    The user's closed and expired rows are removed on the way."""
    now = now or utcnow()
    session.execute(UserSession.__table__.delete().where(
        UserSession.user_id == user.id,
        or_(UserSession.ended_at.is_not(None), UserSession.expires_at <= now)))
    raw = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_hash(raw), created_at=now,
                            expires_at=now + lifetime(user)))
    session.flush()
    return raw


def session_user(session: Session, public_id: str, version: int, raw: str | None,
                 now: datetime | None = None) -> User | None:
    """The active user whose open, unexpired session has this id, if the login token's
    session version is still the user's; else None."""
    if not raw or not isinstance(raw, str):
        return None
    now = now or utcnow()
    return session.scalar(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(User.public_id == public_id, User.active.is_(True),
               User.session_version == version, UserSession.token_hash == _hash(raw),
               UserSession.ended_at.is_(None), UserSession.expires_at > now))


def end_session(session: Session, raw: str | None, now: datetime | None = None) -> None:
    """This session stops working, for every copy of its cookie."""
    if not raw or not isinstance(raw, str):
        return
    session.execute(update(UserSession).where(UserSession.token_hash == _hash(raw),
                                              UserSession.ended_at.is_(None))
                    .values(ended_at=now or utcnow()))
    session.flush()


def end_user_sessions(session: Session, user: User, now: datetime | None = None) -> None:
    """Every open session of this user, on every device, stops working."""
    session.execute(update(UserSession).where(UserSession.user_id == user.id,
                                              UserSession.ended_at.is_(None))
                    .values(ended_at=now or utcnow()))
    session.flush()
