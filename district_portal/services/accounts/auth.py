"""Resident accounts: registration, phone verification, login with lockout, sessions and
password reset. Functions flush, never commit; secrets are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from district_portal.eform import messages
from district_portal.models import Role, User, UserToken
from district_portal.models.types import utcnow
from district_portal.passwords import MIN_PASSWORD_LENGTH, is_common_password
from district_portal.phones import PhoneError, parse_phone
from district_portal.services import notifications
from district_portal.services.accounts.users import (
    create_user,
    hash_password,
    normalize_email,
    password_matches,
)
from district_portal.services.errors import ServiceError

VERIFY_PHONE = "verify_phone"
RESET_PASSWORD = "reset_password"  # nosec B105 — a code's purpose name, not a password
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_AFTER = timedelta(seconds=60)
CODES_PER_HOUR = 5
RESET_LIFETIME = timedelta(hours=1)
RESET_RESEND_AFTER = timedelta(seconds=60)
MAX_FAILED_LOGINS = 10
LOCKOUT = timedelta(minutes=15)
# An unconfirmed phone is a claim, not an account: it lapses after a day, and whoever confirms
# the number first owns it.
UNCONFIRMED_LIFETIME = timedelta(hours=24)
MAX_UNCONFIRMED_CLAIMS = 3
# Checked against when the login is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


class AccountError(ServiceError):
    """A request about an account was refused; `field` names the form field it belongs to."""

    def __init__(self, message, field: str | None = None, *, keep_changes: bool = False):
        super().__init__(message, keep_changes=keep_changes)
        self.field = field


class LoginError(AccountError):
    """Always the same message: never says whether the login or the password was wrong.
    After a wrong password the failed-login count is kept (`keep_changes`): it is the
    lockout's record, not a change the refusal should undo."""

    def __init__(self, *, keep_changes: bool = False) -> None:
        super().__init__(lazy_gettext(
            "The phone number, email or password is not right. After 10 failed tries the "
            "account is locked for 15 minutes; if you forgot your password, reset it."),
            keep_changes=keep_changes)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _salted_hash(code: str, salt: str) -> str:
    # A 6-digit code needs a salt: the same code may be issued to two people at once, and
    # token_hash is unique.
    return f"{salt}${_hash(salt + ':' + code)}"


def find_by_login(session: Session, login: str, *, verified_phone_only: bool = True,
                  now: datetime | None = None) -> User | None:
    """The account whose email or phone is `login`, or None. A phone that was never confirmed
    is not a login unless `verified_phone_only` is False; then the newest claim of the last
    24 hours answers when nobody has confirmed the number."""
    login = (login or "").strip()
    if "@" in login:
        email = normalize_email(login)
        return session.scalar(select(User).where(User.email == email)) if email else None
    try:
        phone = parse_phone(login)
    except PhoneError:
        return None
    if verified_phone_only:
        return _confirmed_holder(session, phone)
    holders = phone_holders(session, phone, now or utcnow())
    return holders[0] if holders else None


def _confirmed_holder(session: Session, phone: str) -> User | None:
    return session.scalar(select(User).where(User.phone == phone,
                                             User.phone_verified_at.is_not(None)))


def phone_holders(session: Session, phone: str, now: datetime) -> list[User]:
    """Who may log in with this number: its confirmed owner, or, when nobody has confirmed
    it, the (at most three) newest unconfirmed claims of the last 24 hours."""
    owner = _confirmed_holder(session, phone)
    if owner is not None:
        return [owner]
    return list(session.scalars(
        select(User).where(User.phone == phone, User.phone_verified_at.is_(None),
                           User.created_at > now - UNCONFIRMED_LIFETIME)
        .order_by(User.created_at.desc(), User.id.desc()).limit(MAX_UNCONFIRMED_CLAIMS)))


def _login_candidates(session: Session, login: str, now: datetime) -> list[User]:
    login = (login or "").strip()
    if "@" in login:
        user = find_by_login(session, login)
        return [user] if user is not None else []
    try:
        phone = parse_phone(login)
    except PhoneError:
        return []
    return phone_holders(session, phone, now)


def register_citizen(session: Session, *, full_name: str, password: str,
                     email: str | None = None, phone: str | None = None,
                     now: datetime | None = None) -> User:
    """Create a citizen account with consent recorded now. A phone is stored (E.164) but is
    not a login until its code is confirmed; the code is sent by SMS through the outbox.
    Raises AccountError on the field that is already taken."""
    now = now or utcnow()
    email = normalize_email(email)
    phone_e164 = None
    if phone:
        try:
            phone_e164 = parse_phone(phone, mobile_only=True)
            if not phone_e164.startswith("+84"):
                raise PhoneError(phone)
        except PhoneError:
            raise AccountError(messages.MOBILE, "phone") from None
    if email and session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(lazy_gettext("An account with this email already exists. Log in, "
                                        "or reset your password if you forgot it."), "email")
    if phone_e164 and _confirmed_holder(session, phone_e164) is not None:
        raise AccountError(lazy_gettext("An account with this phone number already exists. "
                                        "Log in, or reset your password if you forgot it."),
                           "phone")
    try:
        # A savepoint: if a parallel registration took the address between the check above
        # and this insert, only the insert is undone and the form says so.
        with session.begin_nested():
            user = create_user(session, password=password, roles=[Role.CITIZEN], email=email,
                               phone=phone_e164, full_name=full_name, consent=True)
    except IntegrityError:
        raise AccountError(lazy_gettext("An account with this email or phone number already "
                                        "exists. Log in, or reset your password if you "
                                        "forgot it."), "email" if email else "phone") from None
    user.consent_at = now
    if phone_e164:
        send_phone_code(session, user, now=now)
    session.flush()
    return user


def send_phone_code(session: Session, user: User, now: datetime | None = None) -> None:
    """Issue a new 6-digit code for the user's phone (valid 10 minutes, 5 tries) and queue
    it by SMS; earlier codes stop working. At most one code a minute and 5 an hour."""
    now = now or utcnow()
    if not user.phone:
        raise AccountError(lazy_gettext("This account has no phone number."))
    last = session.scalar(
        select(func.max(UserToken.created_at)).where(
            UserToken.user_id == user.id, UserToken.purpose == VERIFY_PHONE))
    if last is not None and _aware(last) > now - CODE_RESEND_AFTER:
        raise AccountError(lazy_gettext("A code was sent less than a minute ago. Wait a "
                                        "minute before asking for another."))
    recent = session.scalar(
        select(func.count(UserToken.id)).where(
            UserToken.user_id == user.id, UserToken.purpose == VERIFY_PHONE,
            UserToken.created_at > now - timedelta(hours=1)))
    if recent >= CODES_PER_HOUR:
        raise AccountError(lazy_gettext("Too many codes were sent in the last hour. Try "
                                        "again later."))
    _expire_tokens(session, user, VERIFY_PHONE, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(UserToken(user_id=user.id, purpose=VERIFY_PHONE,
                          token_hash=_salted_hash(code, secrets.token_hex(8)),
                          expires_at=now + CODE_LIFETIME, created_at=now))
    notifications.queue(session, channel="sms", recipient=user.phone,
                        text=f"Ma xac nhan so dien thoai tai Cong dich vu cong: {code}. "
                             f"Ma het han sau 10 phut. Khong dua ma nay cho ai.")
    session.flush()


def confirm_phone(session: Session, user: User, code: str, now: datetime | None = None) -> None:
    """Check the code against the latest one sent; on success the phone becomes a login.
    Each wrong try counts; after 5 the code is dead and a new one must be asked for."""
    now = now or utcnow()
    token = session.scalar(
        select(UserToken).where(UserToken.user_id == user.id, UserToken.purpose == VERIFY_PHONE,
                                UserToken.used_at.is_(None))
        .order_by(UserToken.created_at.desc(), UserToken.id.desc()).limit(1))
    if token is None or _aware(token.expires_at) <= now:
        raise AccountError(lazy_gettext("This code has expired. Ask for a new code."), "code")
    if token.attempts >= CODE_MAX_ATTEMPTS:
        raise AccountError(lazy_gettext("Too many wrong codes. Ask for a new code."), "code")
    token.attempts += 1
    salt, _, _digest = token.token_hash.partition("$")
    if not hmac.compare_digest(_salted_hash(code.strip(), salt), token.token_hash):
        session.flush()
        # The wrong try counts toward the five: keep it although the request is refused.
        raise AccountError(lazy_gettext("The code is not right. Check the SMS and try again."),
                           "code", keep_changes=True)
    token.used_at = now
    _claim_phone(session, user, now)


def authenticate(session: Session, login: str, password: str,
                 now: datetime | None = None) -> User:
    """The account for this email or phone and password. Ten wrong passwords in a row lock
    it for 15 minutes. Every refusal raises the same LoginError, after the same work (one
    password check), so neither a missing nor a locked account shows in the answer time.

    A phone nobody has confirmed yet logs in the claim whose password matches; the caller
    sends that account to the confirmation page."""
    now = now or utcnow()
    candidates = [u for u in _login_candidates(session, login, now) if u.active]
    if not candidates:
        password_matches(User(password_hash=_DUMMY_HASH), password)
        raise LoginError()
    for user in candidates:
        matches = password_matches(user, password)
        if user.locked_until is not None and _aware(user.locked_until) > now:
            continue
        if matches:
            user.failed_logins = 0
            user.locked_until = None
            session.flush()
            return user
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
    session.flush()
    # The failed-login counts are the lockout's record, not a change the refusal undoes.
    raise LoginError(keep_changes=True)


def needs_phone_confirmation(user: User) -> bool:
    """An account with a phone it has not confirmed yet."""
    return bool(user.phone) and user.phone_verified_at is None


def _claim_phone(session: Session, user: User, now: datetime) -> None:
    """The user has proved the phone: it becomes theirs, and every other unconfirmed claim
    on the number lapses. Refused if someone confirmed it first."""
    others = session.scalars(select(User).where(User.phone == user.phone, User.id != user.id))
    for other in others:
        if other.phone_verified_at is not None:
            raise AccountError(lazy_gettext(
                "This phone number already belongs to another account. Log in with it, or "
                "reset that account's password if you forgot it."), "code")
        other.phone = None
    session.flush()
    user.phone_verified_at = now
    session.flush()


def end_all_sessions(session: Session, user: User) -> None:
    """Every session of this user, on every device, stops working."""
    user.session_version = (user.session_version or 1) + 1
    session.flush()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; other sessions end."""
    if not password_matches(user, current):
        raise AccountError(lazy_gettext("The current password is not right."), "current")
    _set_password(session, user, new)


def _set_password(session: Session, user: User, new: str) -> None:
    check_password_strength(new)
    user.password_hash = hash_password(new)
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(session, user)


def check_password_strength(password: str) -> None:
    """Refuse passwords shorter than 8 characters or on the common-passwords list."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(lazy_gettext("Use at least 8 characters."), "password")
    if is_common_password(password):
        raise AccountError(lazy_gettext("This password is too common and easy to guess. "
                                        "Choose another."), "password")


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="reset-password")


@dataclass(frozen=True)
class ResetLink:
    channel: str
    recipient: str
    url: str


def request_password_reset(session: Session, login: str, *, secret_key: str, base_url: str,
                           now: datetime | None = None) -> ResetLink | None:
    """If an account has this email or phone, queue a one-hour, single-use reset link (by
    email when the account has one, else by SMS). Returns what was queued, for tests; the
    caller must show the same message either way."""
    now = now or utcnow()
    user = find_by_login(session, login, verified_phone_only=False, now=now)
    if user is None or not user.active:
        return None
    last = session.scalar(
        select(func.max(UserToken.created_at)).where(
            UserToken.user_id == user.id, UserToken.purpose == RESET_PASSWORD))
    if last is not None and _aware(last) > now - RESET_RESEND_AFTER:
        return None  # one link a minute is enough; say nothing
    _expire_tokens(session, user, RESET_PASSWORD, now)
    raw = secrets.token_urlsafe(24)
    session.add(UserToken(user_id=user.id, purpose=RESET_PASSWORD, token_hash=_hash(raw),
                          expires_at=now + RESET_LIFETIME, created_at=now))
    url = f"{base_url.rstrip('/')}/account/reset/{_serializer(secret_key).dumps(raw)}"
    if user.email:
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


def reset_token_user(session: Session, token: str, *, secret_key: str,
                     now: datetime | None = None) -> tuple[User, UserToken]:
    """The account and token behind a reset link; AccountError if it is forged, expired or
    already used."""
    now = now or utcnow()
    try:
        raw = _serializer(secret_key).loads(token, max_age=int(RESET_LIFETIME.total_seconds()))
    except SignatureExpired:
        raise AccountError(lazy_gettext("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise AccountError(lazy_gettext("This link is not valid. Ask for a new one.")) from None
    row = session.scalar(select(UserToken).where(UserToken.token_hash == _hash(str(raw)),
                                                 UserToken.purpose == RESET_PASSWORD))
    if row is None:
        raise AccountError(lazy_gettext("This link is not valid. Ask for a new one."))
    if row.used_at is not None:
        raise AccountError(lazy_gettext("This link was already used. Ask for a new one."))
    if _aware(row.expires_at) <= now:
        raise AccountError(lazy_gettext("This link has expired. Ask for a new one."))
    return row.user, row


def reset_password(session: Session, token: str, new_password: str, *, secret_key: str,
                   now: datetime | None = None) -> User:
    """Set a new password through a reset link; the link dies and every session ends. A link
    sent by SMS proves the phone, so the phone becomes a login."""
    now = now or utcnow()
    user, row = reset_token_user(session, token, secret_key=secret_key, now=now)
    _set_password(session, user, new_password)
    row.used_at = now
    if not user.email and needs_phone_confirmation(user):
        _claim_phone(session, user, now)
    session.flush()
    return user


def _expire_tokens(session: Session, user: User, purpose: str, now: datetime) -> None:
    for row in session.scalars(select(UserToken).where(
            UserToken.user_id == user.id, UserToken.purpose == purpose,
            UserToken.used_at.is_(None), UserToken.expires_at > now)):
        row.expires_at = now


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
