"""Two-factor login: time-based codes (TOTP, RFC 6238: 6 digits, 30-second steps, SHA-1, as
every authenticator app reads them) and single-use recovery codes stored as salted SHA-256
hashes. Required for staff and admins, a choice for residents. Functions flush, never commit."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

import pyotp
import segno
from flask_babel import lazy_gettext
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from district_portal.models import User, UserToken
from district_portal.models.types import utcnow
from district_portal.services.accounts.auth import count_failure
from district_portal.services.errors import ServiceError

ISSUER = "Cong dich vu cong"
STEP_SECONDS = 30
RECOVERY = "recovery_code"
RECOVERY_CODES = 10
# Crockford's base32 without look-alikes: 10 characters are 50 bits, shown as XXXXX-XXXXX.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class TwoFactorError(ServiceError):
    """A two-factor code was refused; the message says what to do."""

    field = "code"


def new_secret() -> str:
    """A fresh 160-bit base32 secret (RFC 4226 recommends 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email or user.phone or user.public_id,
                                               issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data: URI (the page's CSP allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step (now, or one step either side for clock drift) whose code this is."""
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _digits(code: str) -> str:
    return re.sub(r"[\s.\-]", "", code or "")


def enable(session: Session, user: User, secret: str, code: str,
           now: datetime | None = None) -> list[str]:
    """Turn two-factor login on with `secret` once the app shows a right code for it; returns
    the new recovery codes (shown once: only their hashes are kept)."""
    now = now or utcnow()
    step = _matching_step(secret, _digits(code), now)
    if step is None:
        raise TwoFactorError(lazy_gettext(
            "The code is not right. Check that the app shows the portal's code and that the "
            "phone's clock is right, then enter the code it shows now."))
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = new_recovery_codes(session, user, now)
    session.flush()
    return codes


def new_recovery_codes(session: Session, user: User, now: datetime | None = None) -> list[str]:
    """Replace the user's recovery codes with ten new ones and return them."""
    now = now or utcnow()
    session.execute(delete(UserToken).where(UserToken.user_id == user.id,
                                            UserToken.purpose == RECOVERY))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        salt = secrets.token_hex(8)
        session.add(UserToken(user_id=user.id, purpose=RECOVERY,
                              token_hash=f"{salt}${_hash(salt, raw)}",
                              expires_at=now.replace(year=now.year + 100), created_at=now))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.flush()
    return codes


def _hash(salt: str, raw: str) -> str:
    return hashlib.sha256(f"{salt}:{raw}".encode()).hexdigest()


def verify(session: Session, user: User, code: str, now: datetime | None = None) -> None:
    """Accept a code from the app (each code once) or an unused recovery code (used up).
    A wrong code counts toward the same lockout as a wrong password (kept although the
    request is refused), and a locked account is refused whatever the code."""
    now = now or utcnow()
    if user.locked_until is not None and _aware(user.locked_until) > now:
        raise _wrong()
    by_app = bool(user.totp_secret) and _accept_totp(user, _digits(code), now)
    if by_app or _use_recovery_code(session, user, code, now):
        user.failed_logins = 0
        user.locked_until = None
        session.flush()
        return
    count_failure(user, now)
    session.flush()
    raise _wrong(keep_changes=True)


def _wrong(*, keep_changes: bool = False) -> TwoFactorError:
    return TwoFactorError(lazy_gettext(
        "The code is not right. Enter the 6 digits the app shows now, or one of your "
        "recovery codes. After 10 wrong tries the account is locked for 15 minutes."),
        keep_changes=keep_changes)


def _accept_totp(user: User, code: str, now: datetime) -> bool:
    if not re.fullmatch(r"\d{6}", code):
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is None or step <= (user.totp_last_step or 0):
        return False  # wrong, or already used: a code seen over a shoulder does not work
    user.totp_last_step = step
    return True


def _use_recovery_code(session: Session, user: User, code: str, now: datetime) -> bool:
    raw = re.sub(r"[\s\-]", "", code or "").upper().replace("O", "0").replace("I", "1") \
        .replace("L", "1")
    if len(raw) != 10:
        return False
    for row in session.scalars(select(UserToken).where(
            UserToken.user_id == user.id, UserToken.purpose == RECOVERY,
            UserToken.used_at.is_(None))):
        salt, _, digest = row.token_hash.partition("$")
        if hmac.compare_digest(_hash(salt, raw), digest):
            row.used_at = now
            return True
    return False


def recovery_codes_left(session: Session, user: User) -> int:
    return len(session.scalars(select(UserToken.id).where(
        UserToken.user_id == user.id, UserToken.purpose == RECOVERY,
        UserToken.used_at.is_(None))).all())


def disable(session: Session, user: User, code: str, now: datetime | None = None) -> None:
    """A resident turns two-factor login off with a current code; staff cannot."""
    if user.is_staff:
        raise TwoFactorError(lazy_gettext("Staff accounts always need two-step login."))
    verify(session, user, code, now)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = 0
    session.execute(delete(UserToken).where(UserToken.user_id == user.id,
                                            UserToken.purpose == RECOVERY))
    session.flush()


def reset(session: Session, user: User) -> None:
    """An administrator's answer to a lost phone without recovery codes: the secret and the
    codes are removed and every session ends; staff enrol again at their next login."""
    from district_portal.services.accounts.sessions import end_user_sessions

    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = 0
    session.execute(delete(UserToken).where(UserToken.user_id == user.id,
                                            UserToken.purpose == RECOVERY))
    user.session_version = (user.session_version or 1) + 1
    end_user_sessions(session, user)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
