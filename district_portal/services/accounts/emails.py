"""Email addresses are confirmed before they count: an address typed at registration waits
in `User.pending_email`, and a 24-hour, single-use link sent to it makes it the account's
login. If the address already belongs to an account, its owner gets a notice instead of a
link, so the registration page answers the same either way. Functions flush, never commit."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import User, UserToken
from district_portal.models.types import utcnow
from district_portal.services import notifications
from district_portal.services.accounts.common import AccountError, aware, sha256_hex

CONFIRM_EMAIL = "confirm_email"
LINK_LIFETIME = timedelta(hours=24)
SUBJECT = "Xác nhận email – Cổng dịch vụ công"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="confirm-email")


def send_email_confirmation(session: Session, user: User, *, secret_key: str, base_url: str,
                            now: datetime | None = None) -> str | None:
    """Queue the confirmation link for `user.pending_email` (earlier links die), or, when
    that address is already an account's login, a notice to its owner. Returns the link's
    path if one was sent, for tests."""
    now = now or utcnow()
    address = user.pending_email
    if not address:
        return None
    owner = session.scalar(select(User).where(User.email == address))
    if owner is not None:
        notifications.queue(
            session, channel="email", recipient=address, subject=SUBJECT,
            text=("Xin chào,\n\nCó người vừa đăng ký tài khoản mới trên Cổng dịch vụ công với "
                  "địa chỉ email này. Địa chỉ này đã thuộc một tài khoản: nếu là bạn, hãy đăng "
                  "nhập, hoặc đặt lại mật khẩu nếu bạn quên. Nếu không phải bạn, hãy bỏ qua "
                  "thư này; tài khoản của bạn không thay đổi.\n"))
        session.flush()
        return None
    for row in session.scalars(select(UserToken).where(
            UserToken.user_id == user.id, UserToken.purpose == CONFIRM_EMAIL,
            UserToken.used_at.is_(None), UserToken.expires_at > now)):
        row.expires_at = now
    raw = secrets.token_urlsafe(24)
    session.add(UserToken(user_id=user.id, purpose=CONFIRM_EMAIL, token_hash=sha256_hex(raw),
                          expires_at=now + LINK_LIFETIME, created_at=now))
    path = f"/account/confirm-email/{_serializer(secret_key).dumps(raw)}"
    notifications.queue(
        session, channel="email", recipient=address, subject=SUBJECT,
        text=(f"Xin chào {user.full_name},\n\nĐể xác nhận địa chỉ email của tài khoản trên "
              f"Cổng dịch vụ công, mở liên kết sau trong vòng 24 giờ:\n"
              f"{base_url.rstrip('/')}{path}\n\nNếu bạn không đăng ký, hãy bỏ qua thư này.\n"))
    session.flush()
    return path


def _token_row(session: Session, token: str, secret_key: str, now: datetime) -> UserToken:
    invalid = lazy_gettext("This link is not valid or has expired. Register again, or log in "
                           "if your email is already confirmed.")
    try:
        raw = _serializer(secret_key).loads(token)
    except BadSignature:
        raise AccountError(invalid) from None
    row = session.scalar(select(UserToken).where(UserToken.token_hash == sha256_hex(str(raw)),
                                                 UserToken.purpose == CONFIRM_EMAIL))
    if row is None or row.used_at is not None or aware(row.expires_at) <= now \
            or not row.user.pending_email or not row.user.active:
        raise AccountError(invalid)
    return row


def email_to_confirm(session: Session, token: str, *, secret_key: str,
                     now: datetime | None = None) -> str:
    """The address a confirmation link would confirm; AccountError if the link is forged,
    used or expired."""
    return _token_row(session, token, secret_key, now or utcnow()).user.pending_email


def confirm_email(session: Session, token: str, *, secret_key: str,
                  now: datetime | None = None) -> User:
    """Make the pending address the account's email through its link (once). Refused if
    another account confirmed the address first."""
    now = now or utcnow()
    row = _token_row(session, token, secret_key, now)
    user = row.user
    if session.scalar(select(User.id).where(User.email == user.pending_email)) is not None:
        raise AccountError(lazy_gettext("This email already belongs to another account. Log "
                                        "in with it, or reset that account's password."))
    row.used_at = now
    user.email, user.pending_email = user.pending_email, None
    session.flush()
    return user
