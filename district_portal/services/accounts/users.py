"""Accounts: creation, passwords and the demo accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from district_portal.models import Office, Role, User
from district_portal.models.types import utcnow
from district_portal.phones import PhoneError, parse_phone
from district_portal.services.errors import ServiceError
from district_portal.text import clean

DEMO_PASSWORD = "demo-portal-2026"  # nosec B105 — `portal demo` accounts, printed on use
DEMO_OFFICE = "000.00.04.T25"
DEMO_USERS = (
    ("clerk@demo.test", "Nguyễn Thị Tiếp Nhận", (Role.CLERK,)),
    ("officer@demo.test", "Trần Văn Chuyên Viên", (Role.OFFICER,)),
    ("leader@demo.test", "Lê Văn Lãnh Đạo", (Role.LEADER,)),
    ("admin@demo.test", "Phạm Quản Trị", (Role.ADMIN,)),
    ("resident@demo.test", "Hoàng Thị Dân", (Role.CITIZEN,)),
)


class UserError(ServiceError):
    """A user could not be created; the message says why."""


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def normalize_email(email: str | None) -> str | None:
    email = clean(email).lower()
    return email or None


def create_user(session: Session, *, password: str, roles, email: str | None = None,
                phone: str | None = None, full_name: str | None = None,
                office_code: str | None = None, phone_verified: bool = False,
                consent: bool = False) -> User:
    """Create an account. Staff roles need an office; email and phone stay unique."""
    try:
        roles = [str(Role(r)) for r in roles]
    except ValueError:
        raise UserError(f"unknown role in {', '.join(map(str, roles))}; use "
                        f"{', '.join(r.value for r in Role)}") from None
    email = normalize_email(email)
    if phone:
        try:
            phone = parse_phone(phone)
        except PhoneError as exc:
            raise UserError(str(exc)) from None
    if not email and not phone:
        raise UserError("an email or a phone number is needed")
    if email and session.scalar(select(User.id).where(User.email == email)):
        raise UserError(f"an account with email {email} already exists")
    if phone and session.scalar(select(User.id).where(User.phone == phone,
                                                      User.phone_verified_at.is_not(None))):
        raise UserError(f"an account with phone {phone} already exists")
    office = None
    if office_code:
        office = session.scalar(select(Office).where(Office.agency_code == office_code))
        if office is None:
            raise UserError(f"no office with agency code {office_code}")
    if any(r != Role.CITIZEN for r in roles) and office is None:
        raise UserError("staff accounts need --office")
    user = User(email=email, phone=phone, password_hash=hash_password(password),
                full_name=clean(full_name) or (email or phone), roles=roles, office=office,
                phone_verified_at=utcnow() if phone and phone_verified else None,
                consent_at=utcnow() if consent else None)
    session.add(user)
    session.flush()
    return user


def ensure_demo_users(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo accounts once; returns (login, role, password) rows to print."""
    rows = []
    for email, name, roles in DEMO_USERS:
        if not session.scalar(select(User.id).where(User.email == email)):
            office = DEMO_OFFICE if Role.CITIZEN not in roles else None
            create_user(session, email=email, password=DEMO_PASSWORD, roles=roles,
                        full_name=name, office_code=office, consent=True)
        rows.append((email, "/".join(str(r) for r in roles), DEMO_PASSWORD))
    return rows
