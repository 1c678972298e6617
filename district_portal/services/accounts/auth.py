"""Resident accounts: registration, phone verification, login with lockout, sessions and
password reset. Functions flush, never commit; secrets are stored only as SHA-256 hashes."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from district_portal.eform import messages
from district_portal.models import Role, User, UserToken
from district_portal.models.types import utcnow
from district_portal.passwords import (
    MIN_PASSWORD_LENGTH,
    contains_personal_data,
    is_common_password,
)
from district_portal.phones import PhoneError, parse_phone
from district_portal.services import notifications
from district_portal.services.accounts.common import AccountError
from district_portal.services.accounts.common import aware as _aware
from district_portal.services.accounts.common import sha256_hex as _hash
from district_portal.services.accounts.emails import send_email_confirmation
from district_portal.services.accounts.sessions import end_user_sessions
from district_portal.services.accounts.users import (
    hash_password,
    normalize_email,
    password_matches,
)
from district_portal.text import clean

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


class LoginError(AccountError):
    """Always the same message: never says whether the login or the password was wrong.
    After a wrong password the failed-login count is kept (`keep_changes`): it is the
    lockout's record, not a change the refusal should undo."""

    def __init__(self, *, keep_changes: bool = False) -> None:
        super().__init__(lazy_gettext(
            "The phone number, email or password is not right. After 10 failed tries the "
            "account is locked for 15 minutes; if you forgot your password, reset it."),
            keep_changes=keep_changes)


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
                     secret_key: str = "", base_url: str = "",
                     now: datetime | None = None) -> User:
    """Create a citizen account with consent recorded now. Neither contact is a login yet:
    the phone (E.164) gets a code by SMS, the email waits in `pending_email` for its link.
    A contact that already belongs to an account is not refused (that would tell anyone who
    has an account): its owner gets a notice instead, and this account never confirms it."""
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
    check_password_strength(password, email=email, phone=phone_e164, name=full_name)
    user = User(password_hash=hash_password(password), full_name=clean(full_name),
                roles=[str(Role.CITIZEN)], phone=phone_e164, pending_email=email,
                consent_at=now, created_at=now)
    session.add(user)
    session.flush()
    if phone_e164:
        send_phone_code(session, user, now=now)
    if email:
        send_email_confirmation(session, user, secret_key=secret_key, base_url=base_url,
                                now=now)
    session.flush()
    return user


def send_phone_code(session: Session, user: User, now: datetime | None = None) -> None:
    """Issue a new 6-digit code for the user's phone (valid 10 minutes, 5 tries) and queue
    it by SMS; earlier codes stop working. At most one code a minute and 5 an hour."""
    now = now or utcnow()
    refusal = phone_code_refusal(session, user, now)
    if refusal is not None:
        raise AccountError(refusal)
    _expire_tokens(session, user, VERIFY_PHONE, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    owner = _confirmed_holder(session, user.phone)
    # A number someone else confirmed: its owner is told instead, and the stored code is one
    # nobody was sent, so this page behaves exactly as for a free number.
    token = code if owner is None or owner.id == user.id else secrets.token_urlsafe(16)
    session.add(UserToken(user_id=user.id, purpose=VERIFY_PHONE,
                          token_hash=_salted_hash(token, secrets.token_hex(8)),
                          expires_at=now + CODE_LIFETIME, created_at=now))
    if token == code:
        text = (f"Ma xac nhan so dien thoai tai Cong dich vu cong: {code}. Ma het han sau 10 "
                f"phut. Khong dua ma nay cho ai.")
    else:
        text = ("Co nguoi vua dang ky tai khoan Cong dich vu cong bang so dien thoai nay. So "
                "nay da co tai khoan: neu la ban, hay dang nhap hoac dat lai mat khau.")
    notifications.queue(session, channel="sms", recipient=user.phone, text=text)
    session.flush()


def phone_code_refusal(session: Session, user: User, now: datetime | None = None):
    """Why no new phone code may be sent now (no phone, one a minute, five an hour), or
    None: callers that only offer a code ask first instead of being refused."""
    now = now or utcnow()
    if not user.phone:
        return lazy_gettext("This account has no phone number.")
    last = session.scalar(
        select(func.max(UserToken.created_at)).where(
            UserToken.user_id == user.id, UserToken.purpose == VERIFY_PHONE))
    if last is not None and _aware(last) > now - CODE_RESEND_AFTER:
        return lazy_gettext("A code was sent less than a minute ago. Wait a minute before "
                            "asking for another.")
    recent = session.scalar(
        select(func.count(UserToken.id)).where(
            UserToken.user_id == user.id, UserToken.purpose == VERIFY_PHONE,
            UserToken.created_at > now - timedelta(hours=1)))
    if recent >= CODES_PER_HOUR:
        return lazy_gettext("Too many codes were sent in the last hour. Try again later.")
    return None


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
            if not user.needs_two_factor:  # else the second step clears them when it passes
                user.failed_logins = 0
                user.locked_until = None
            session.flush()
            return user
        count_failure(user, now)
    session.flush()
    # The failed-login counts are the lockout's record, not a change the refusal undoes.
    raise LoginError(keep_changes=True)


def count_failure(user: User, now: datetime) -> None:
    """One more wrong password or code: the tenth in a row locks the account for LOCKOUT."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCKOUT
        user.failed_logins = 0


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
    end_user_sessions(session, user)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; other sessions end."""
    if not password_matches(user, current):
        raise AccountError(lazy_gettext("The current password is not right."), "current")
    _set_password(session, user, new)


def _set_password(session: Session, user: User, new: str) -> None:
    """The one place a password changes: every session and every reset link dies with the
    old one."""
    check_password_strength(new, email=user.email, phone=user.phone, name=user.full_name)
    user.password_hash = hash_password(new)
    user.failed_logins = 0
    user.locked_until = None
    _expire_tokens(session, user, RESET_PASSWORD, utcnow())
    end_all_sessions(session, user)


def check_password_strength(password: str, *, email: str | None = None,
                            phone: str | None = None, name: str | None = None) -> None:
    """Refuse passwords shorter than 8 characters, on the common-passwords list, or holding
    the account's email, phone number or name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(lazy_gettext("Use at least 8 characters."), "password")
    if is_common_password(password):
        raise AccountError(lazy_gettext("This password is too common and easy to guess. "
                                        "Choose another."), "password")
    if contains_personal_data(password, email=email, phone=phone, name=name):
        raise AccountError(lazy_gettext("Do not put your email, phone number or name in the "
                                        "password: they are the first things a guesser "
                                        "tries."), "password")


def _expire_tokens(session: Session, user: User, purpose: str, now: datetime) -> None:
    for row in session.scalars(select(UserToken).where(
            UserToken.user_id == user.id, UserToken.purpose == purpose,
            UserToken.used_at.is_(None), UserToken.expires_at > now)):
        row.expires_at = now
