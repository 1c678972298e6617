"""Password reset: a one-hour, single-use link sent only to a confirmed contact; it dies when
it is used, when a newer one is sent, and as soon as the password changes by any route (the
link carries a digest of the password hash). The same link, valid three days and worded as a
welcome, is how a new staff account gets its first password (`send_set_password_link`, used
by the admin console): no password passes through the admin. Functions flush, never commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from district_portal.models import User, UserToken
from district_portal.models.types import utcnow
from district_portal.services import notifications
from district_portal.services.accounts.auth import (
    RESET_LIFETIME,
    RESET_PASSWORD,
    RESET_RESEND_AFTER,
    AccountError,
    _aware,
    _expire_tokens,
    _hash,
    _set_password,
    find_by_login,
)


def _password_mark(user: User) -> str:
    """A short digest of the current password hash: a reset link carries it, so the link
    dies as soon as the password changes, whatever changed it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:12]


# A set-password link sent by an admin (a new account, or a reset the admin asked for).
SET_PASSWORD_LIFETIME = timedelta(days=3)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="reset-password")


@dataclass(frozen=True)
class ResetLink:
    channel: str
    recipient: str
    url: str


def request_password_reset(session: Session, login: str, *, secret_key: str, base_url: str,
                           now: datetime | None = None) -> ResetLink | None:
    """If an account has this confirmed email or phone, queue a one-hour, single-use reset
    link to that contact, never to an unconfirmed one. Returns what was queued, for tests;
    the caller must show the same message either way."""
    now = now or utcnow()
    user = find_by_login(session, login, now=now)
    if user is None or not user.active:
        return None
    last = session.scalar(
        select(func.max(UserToken.created_at)).where(
            UserToken.user_id == user.id, UserToken.purpose == RESET_PASSWORD))
    if last is not None and _aware(last) > now - RESET_RESEND_AFTER:
        return None  # one link a minute is enough; say nothing
    url = _new_link(session, user, RESET_LIFETIME, secret_key, base_url, now)
    if "@" in login:
        link = ResetLink("email", user.email, url)
        notifications.queue(
            session, channel="email", recipient=user.email,
            subject="Đặt lại mật khẩu – Cổng dịch vụ công",
            text=(f"Xin chào {user.full_name},\n\nĐể đặt lại mật khẩu, mở liên kết sau trong "
                  f"vòng 1 giờ:\n{url}\n\nNếu bạn không yêu cầu, hãy bỏ qua thư này; mật khẩu "
                  f"của bạn không thay đổi.\n"))
    else:
        link = ResetLink("sms", user.phone, url)
        notifications.queue(session, channel="sms", recipient=user.phone,
                            text=f"Dat lai mat khau (1 gio): {url}")
    session.flush()
    return link


def _new_link(session: Session, user: User, lifetime: timedelta, secret_key: str,
              base_url: str, now: datetime) -> str:
    """A new single-use link for `user` (earlier ones die), valid for `lifetime`."""
    _expire_tokens(session, user, RESET_PASSWORD, now)
    # 128 random bits: short enough that the whole link fits in one 160-character SMS.
    raw = secrets.token_urlsafe(16)
    session.add(UserToken(user_id=user.id, purpose=RESET_PASSWORD, token_hash=_hash(raw),
                          expires_at=now + lifetime, created_at=now))
    signed = _serializer(secret_key).dumps({"t": raw, "p": _password_mark(user)})
    return f"{base_url.rstrip('/')}/account/reset/{signed}"


def send_set_password_link(session: Session, user: User, *, secret_key: str, base_url: str,
                           welcome: bool = True, now: datetime | None = None) -> ResetLink:
    """Queue a three-day link for `user` to choose their own password: by email when the
    account has one, else by SMS to its phone. `welcome`: a new account; otherwise an admin
    reset the password. The caller checks who may ask (the admin console)."""
    now = now or utcnow()
    url = _new_link(session, user, SET_PASSWORD_LIFETIME, secret_key, base_url, now)
    if user.email:
        if welcome:
            subject = "Tài khoản cán bộ – Cổng dịch vụ công"
            opening = (f"Một tài khoản cán bộ trên Cổng dịch vụ công đã được tạo cho bạn "
                       f"(đăng nhập bằng {user.email}). Để đặt mật khẩu của bạn")
        else:
            subject = "Đặt lại mật khẩu – Cổng dịch vụ công"
            opening = ("Quản trị viên đã đặt lại mật khẩu tài khoản của bạn trên Cổng dịch vụ "
                       "công; mật khẩu cũ không còn dùng được. Để đặt mật khẩu mới")
        notifications.queue(
            session, channel="email", recipient=user.email, subject=subject,
            text=(f"Xin chào {user.full_name},\n\n{opening}, mở liên kết sau trong vòng "
                  f"3 ngày (chỉ dùng được một lần):\n{url}\n\nSau đó, khi đăng nhập lần "
                  f"đầu, bạn sẽ cài đặt đăng nhập hai bước.\n"))
        session.flush()
        return ResetLink("email", user.email, url)
    notifications.queue(session, channel="sms", recipient=user.phone,
                        text=f"Dat mat khau Cong DVC: {url}")
    session.flush()
    return ResetLink("sms", user.phone, url)


def reset_token_user(session: Session, token: str, *, secret_key: str,
                     now: datetime | None = None) -> tuple[User, UserToken]:
    """The account and token behind a reset link; AccountError if it is forged, expired or
    already used."""
    now = now or utcnow()
    try:
        # The longest lifetime here; the token's row holds its own (one hour for a reset).
        raw = _serializer(secret_key).loads(
            token, max_age=int(max(RESET_LIFETIME, SET_PASSWORD_LIFETIME).total_seconds()))
    except SignatureExpired:
        raise AccountError(lazy_gettext("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise AccountError(lazy_gettext("This link is not valid. Ask for a new one.")) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("t"), str):
        raise AccountError(lazy_gettext("This link is not valid. Ask for a new one."))
    row = session.scalar(select(UserToken).where(UserToken.token_hash == _hash(raw["t"]),
                                                 UserToken.purpose == RESET_PASSWORD))
    if row is None:
        raise AccountError(lazy_gettext("This link is not valid. Ask for a new one."))
    if row.used_at is not None:
        raise AccountError(lazy_gettext("This link was already used. Ask for a new one."))
    if _aware(row.expires_at) <= now:
        raise AccountError(lazy_gettext("This link has expired. Ask for a new one."))
    if not hmac.compare_digest(str(raw.get("p")), _password_mark(row.user)):
        # The password changed since the link was sent, by whatever route.
        raise AccountError(lazy_gettext("The password was changed after this link was sent. "
                                        "Ask for a new one if you need it."))
    return row.user, row


def reset_password(session: Session, token: str, new_password: str, *, secret_key: str,
                   now: datetime | None = None) -> User:
    """Set a new password through a reset link; the link dies and every session ends."""
    now = now or utcnow()
    user, row = reset_token_user(session, token, secret_key=secret_key, now=now)
    _set_password(session, user, new_password)
    row.used_at = now
    session.flush()
    return user
