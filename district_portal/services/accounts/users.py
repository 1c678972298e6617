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
DEMO_OFFICE = "000.00.04.T25"  # Phường Hòa Bình: the first demo office, tests' default
# (login, full name, roles, office): a clerk, an officer and a leader in every demo office, so
# a dossier filed at any of them reaches a demo inbox; then the admin and the resident.
DEMO_USERS = (
    ("clerk@demo.test", "Nguyễn Thị Tiếp Nhận", (Role.CLERK,), DEMO_OFFICE),
    ("officer@demo.test", "Trần Văn Chuyên Viên", (Role.OFFICER,), DEMO_OFFICE),
    ("leader@demo.test", "Lê Văn Lãnh Đạo", (Role.LEADER,), DEMO_OFFICE),
    ("clerk.tanhoa@demo.test", "Đỗ Thị Hằng", (Role.CLERK,), "000.00.05.T25"),
    ("officer.tanhoa@demo.test", "Bùi Văn Nam", (Role.OFFICER,), "000.00.05.T25"),
    ("leader.tanhoa@demo.test", "Vũ Đức Thắng", (Role.LEADER,), "000.00.05.T25"),
    ("clerk.lacson@demo.test", "Đinh Thị Mai", (Role.CLERK,), "000.00.06.T25"),
    ("officer.lacson@demo.test", "Quách Văn Hùng", (Role.OFFICER,), "000.00.06.T25"),
    ("leader.lacson@demo.test", "Bạch Công Lâm", (Role.LEADER,), "000.00.06.T25"),
    ("clerk.trungtam@demo.test", "Ngô Thị Lan", (Role.CLERK,), "000.01.00.T25"),
    ("officer.trungtam@demo.test", "Phan Văn Minh", (Role.OFFICER,), "000.01.00.T25"),
    ("leader.trungtam@demo.test", "Hà Quang Trung", (Role.LEADER,), "000.01.00.T25"),
    ("clerk.tinh@demo.test", "Lý Thị Thu", (Role.CLERK,), "000.00.00.T25"),
    ("officer.tinh@demo.test", "Đặng Văn Tuấn", (Role.OFFICER,), "000.00.00.T25"),
    ("leader.tinh@demo.test", "Cao Minh Đức", (Role.LEADER,), "000.00.00.T25"),
    ("admin@demo.test", "Phạm Quản Trị", (Role.ADMIN,), DEMO_OFFICE),  # a commune admin
    ("admin.tinh@demo.test", "Tạ Thị Quản Lý", (Role.ADMIN,), "000.00.00.T25"),  # the province's
    ("resident@demo.test", "Hoàng Thị Dân", (Role.CITIZEN,), None),
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
                consent: bool = False, job_title: str | None = None) -> User:
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
                consent_at=utcnow() if consent else None, job_title=clean(job_title) or None)
    session.add(user)
    session.flush()
    return user


def ensure_demo_users(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo accounts once; returns (login, role, password) rows to print."""
    rows = []
    for email, name, roles, office in DEMO_USERS:
        if not session.scalar(select(User.id).where(User.email == email)):
            create_user(session, email=email, password=DEMO_PASSWORD, roles=roles,
                        full_name=name, office_code=office, consent=True)
        label = "/".join(str(r) for r in roles) + (f" {office}" if office else "")
        rows.append((email, label, DEMO_PASSWORD))
    return rows
