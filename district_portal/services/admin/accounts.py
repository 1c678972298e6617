"""Staff accounts in the admin console (issue 13): create one (the new person chooses their
own password through a link: no password passes through the admin), change roles, office and
job title, deactivate and reactivate, reset the password or the two-step login. Every change
is audited with before and after (never a password hash, a TOTP secret or a link). Functions
flush, never commit; a refusal raises StaffError naming the form field it belongs to.

Which accounts an admin reaches is access.can_administer_staff (a province admin: staff of
every office of the province; a commune admin: staff of their own office). On top of that:

- Self: an admin never gives themselves a role they do not have, never moves themselves to
  another office, and never deactivates themselves or resets their own password or second
  step here (their account page does that).
- The last admin: every office keeps at least one active admin who can reach it. A commune is
  reached by its own admins and by the province-level admins (of the province's committee
  and its service centre); a province-level office only by the province-level admins. So the
  last active province-level admin can never be deactivated, lose the admin role or move to
  a commune; a commune's last own admin may go while a province-level admin remains, who then
  administers that commune.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from district_portal import access
from district_portal.eform import messages
from district_portal.models import Office, OfficeKind, Role, User
from district_portal.models.types import utcnow
from district_portal.phones import display_phone, parse_phone
from district_portal.services.accounts import two_factor
from district_portal.services.accounts.auth import RESET_PASSWORD, _expire_tokens, end_all_sessions
from district_portal.services.accounts.reset import ResetLink, send_set_password_link
from district_portal.services.accounts.users import create_user, hash_password, normalize_email
from district_portal.services.admin import audit
from district_portal.services.errors import ServiceError
from district_portal.text import clean

STAFF_ROLE_NAMES = ("clerk", "officer", "leader", "admin")
MAX_LISTED = 200


class StaffError(ServiceError):
    """A change to a staff account was refused; `field` names the form field."""

    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(message, status)
        self.field = field


@dataclass(frozen=True)
class NewStaff:
    full_name: str
    email: str | None
    phone: str | None  # as typed; checked by the form, parsed here
    job_title: str | None
    office_code: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class StaffFilter:
    text: str = ""  # part of the name or email, or a phone number
    office_code: str = ""
    role: str = ""
    active: str = ""  # "", "yes", "no"


def snapshot(user: User) -> dict:
    """What the audit log keeps of a staff account: no password hash, no TOTP secret."""
    return {"public_id": user.public_id, "full_name": user.full_name, "email": user.email,
            "phone": user.phone, "job_title": user.job_title,
            "office": user.office.agency_code if user.office else None,
            "roles": sorted(user.roles or []), "active": bool(user.active),
            "two_factor": user.totp_enabled_at is not None}


def offices_in_scope(session: Session, admin: User) -> list[Office]:
    """The active offices `admin` administers, by name (the office choices)."""
    ids = access.administered_office_ids(admin)
    if not ids:
        return []
    return list(session.scalars(select(Office).where(Office.id.in_(ids), Office.active.is_(True))
                                .order_by(Office.name)))


def find_staff(session: Session, admin: User, public_id: str) -> User | None:
    """The staff account with this public id if `admin` administers it, else None (404)."""
    account = session.scalar(select(User).where(User.public_id == str(public_id)[:40]))
    return account if access.can_administer_staff(admin, account) else None


def search_staff(session: Session, admin: User, flt: StaffFilter) -> list[User]:
    """Staff of the offices `admin` administers matching the filter, by office then name."""
    ids = access.administered_office_ids(admin)
    if not ids:
        return []
    q = select(User).join(Office, User.office_id == Office.id).where(User.office_id.in_(ids))
    if flt.office_code:
        q = q.where(Office.agency_code == flt.office_code)
    if flt.active in ("yes", "no"):
        q = q.where(User.active.is_(flt.active == "yes"))
    text = clean(flt.text)
    if text:
        term = f"%{audit._like(text)}%"
        conditions = [User.full_name.ilike(term, escape="\\"),
                      User.email.ilike(term, escape="\\")]
        phone = _phone_or_none(text)
        if phone:
            conditions.append(User.phone == phone)
        q = q.where(or_(*conditions))
    rows = session.scalars(q.order_by(Office.name, User.full_name, User.id)).all()
    return [u for u in rows if u.is_staff and (not flt.role or u.has_role(flt.role))][:MAX_LISTED]


def _phone_or_none(text: str, mobile_only: bool = False) -> str | None:
    try:
        return parse_phone(text, mobile_only=mobile_only)
    except ValueError:
        return None


def _office_in_scope(session: Session, admin: User, code: str) -> Office:
    office = session.scalar(select(Office).where(Office.agency_code == (code or "")))
    if office is None or not office.active or not access.can_administer_office(admin, office):
        raise StaffError(_l("Choose an office you administer."), "office")
    return office


def _clean_roles(roles) -> list[str]:
    roles = sorted({str(r) for r in roles or ()})
    if not roles:
        raise StaffError(_l("Choose at least one role."), "roles")
    if any(r not in STAFF_ROLE_NAMES for r in roles):
        # The citizen role, or anything else: residents are never made staff here.
        raise StaffError(_l("Choose roles among clerk, officer, leader and administrator."),
                         "roles")
    return roles


def _check_contacts_free(session: Session, email: str | None, phone: str | None) -> None:
    if email and session.scalar(select(User.id).where(
            or_(User.email == email, User.pending_email == email)).limit(1)):
        raise StaffError(_l("An account with this email already exists."), "email")
    if phone and session.scalar(select(User.id).where(
            User.phone == phone, User.phone_verified_at.is_not(None)).limit(1)):
        raise StaffError(_l("An account with this phone number already exists."), "phone")


def create_staff(session: Session, admin: User, data: NewStaff, *, secret_key: str,
                 base_url: str) -> tuple[User, ResetLink]:
    """A new staff account with an unusable random password, and a three-day link sent to
    the person (email, else SMS) to choose their own. Contacts an admin enters count as
    confirmed (they log in with them)."""
    roles = _clean_roles(data.roles)
    office = _office_in_scope(session, admin, data.office_code)
    email = normalize_email(data.email)
    phone = _phone_or_none(data.phone, mobile_only=True) if data.phone else None
    if data.phone and (phone is None or not phone.startswith("+84")):
        raise StaffError(messages.MOBILE, "phone")
    if not email and not phone:
        raise StaffError(_l("Enter an email or a phone number: the link to choose a password "
                            "is sent there."), "email")
    _check_contacts_free(session, email, phone)
    user = create_user(session, password=secrets.token_urlsafe(32), roles=roles, email=email,
                       phone=phone, full_name=data.full_name, office_code=office.agency_code,
                       phone_verified=bool(phone), job_title=data.job_title)
    link = send_set_password_link(session, user, secret_key=secret_key, base_url=base_url)
    audit.record(session, admin, "user.create", "user", user.public_id, after=snapshot(user),
                 office=office, note=f"set-password link sent by {link.channel}")
    return user, link


def _province_level_ids(session: Session, office: Office) -> set[int]:
    """The province's committee and its service centre(s), above `office`."""
    root = office
    while root.parent is not None and root.kind != OfficeKind.PROVINCE:
        root = root.parent
    if root.kind != OfficeKind.PROVINCE:
        return {root.id} if root.kind == OfficeKind.CENTRE else set()
    return {root.id, *session.scalars(select(Office.id).where(
        Office.parent_id == root.id, Office.kind == OfficeKind.CENTRE))}


def _reaching_ids(session: Session, office: Office) -> set[int]:
    """The offices whose admins administer `office`: itself and the province level."""
    return {office.id} | _province_level_ids(session, office)


def _check_keeps_an_admin(session: Session, account: User, *, roles, office: Office,
                          active: bool) -> None:
    """Refuse a change after which the account's office has no active admin reaching it
    (the module's rule)."""
    current = account.office
    if current is None or not account.active or not account.has_role(Role.ADMIN):
        return  # the account is no admin now: the change takes none away
    reach = _reaching_ids(session, current)
    if active and Role.ADMIN in roles and office.id in reach:
        return  # still an admin who reaches it
    others = session.scalars(select(User).where(
        User.office_id.in_(reach), User.active.is_(True), User.id != account.id))
    if not any(u.has_role(Role.ADMIN) for u in others):
        raise StaffError(_l("%(name)s is the last active administrator who can manage "
                            "%(office)s. Give another person the administrator role first.",
                            name=account.full_name, office=current.name), "roles", 409)


def update_staff(session: Session, admin: User, account: User, *, roles, office_code: str,
                 job_title: str | None) -> None:
    """Change the roles, office and job title of a staff account `admin` administers."""
    roles = _clean_roles(roles)
    office = _office_in_scope(session, admin, office_code)
    if account.id == admin.id:
        if set(roles) - set(account.roles):
            raise StaffError(_l("You cannot give yourself a role you do not have."), "roles",
                             403)
        if office.id != account.office_id:
            raise StaffError(_l("You cannot move yourself to another office."), "office", 403)
    _check_keeps_an_admin(session, account, roles=roles, office=office, active=account.active)
    before = snapshot(account)
    account.roles = roles
    account.office = office
    account.job_title = clean(job_title) or None
    session.flush()
    after = snapshot(account)
    if after != before:
        audit.record(session, admin, "user.edit", "user", account.public_id, before=before,
                     after=after, office=office)


def set_active(session: Session, admin: User, account: User, active: bool) -> None:
    """Deactivate (every session ends at once, pending links die) or reactivate."""
    if account.active == active:
        return
    if account.id == admin.id:
        raise StaffError(_l("You cannot deactivate your own account."), None, 403)
    if not active:
        _check_keeps_an_admin(session, account, roles=account.roles, office=account.office,
                              active=False)
    before = snapshot(account)
    account.active = active
    if not active:
        end_all_sessions(session, account)
        _expire_tokens(session, account, RESET_PASSWORD, utcnow())
    session.flush()
    audit.record(session, admin, "user.reactivate" if active else "user.deactivate", "user",
                 account.public_id, before=before, after=snapshot(account),
                 office=account.office)


def _not_self(admin: User, account: User) -> None:
    if account.id == admin.id:
        raise StaffError(_l("Change your own password and two-step login on your account "
                            "page."), None, 403)
    if not account.active:
        raise StaffError(_l("This account is deactivated. Reactivate it first."), None, 409)


def reset_password(session: Session, admin: User, account: User, *, secret_key: str,
                   base_url: str) -> ResetLink:
    """The old password stops working (it is replaced by an unusable random one), every
    session ends, and a new three-day link goes to the person to choose a new one."""
    _not_self(admin, account)
    account.password_hash = hash_password(secrets.token_urlsafe(32))
    account.failed_logins = 0
    account.locked_until = None
    end_all_sessions(session, account)
    link = send_set_password_link(session, account, secret_key=secret_key, base_url=base_url,
                                  welcome=False)
    audit.record(session, admin, "user.reset_password", "user", account.public_id,
                 office=account.office, note=f"set-password link sent by {link.channel}")
    return link


def reset_two_factor(session: Session, admin: User, account: User) -> None:
    """The TOTP secret and the recovery codes go, every session ends: the person enrols
    again at their next login."""
    _not_self(admin, account)
    before = {"two_factor": account.totp_enabled_at is not None}
    two_factor.reset(session, account)
    session.flush()
    audit.record(session, admin, "user.reset_two_factor", "user", account.public_id,
                 before=before, after={"two_factor": False}, office=account.office)


def end_sessions(session: Session, admin: User, account: User) -> None:
    """Log the person out everywhere (a phone left logged in, a suspected leak); the password
    and the two-step login stay."""
    _not_self(admin, account)
    end_all_sessions(session, account)
    session.flush()
    audit.record(session, admin, "user.end_sessions", "user", account.public_id,
                 office=account.office)


def contact_label(link: ResetLink) -> str:
    """Where a link went, as the admin reads it: the address, or the phone as dialled."""
    return link.recipient if link.channel == "email" else display_phone(link.recipient)
