"""Residents in the admin console (issue 13): search, a read-only page, deactivate and
reactivate. Admins never edit a resident's data. Every view of it is recorded in the audit log
("resident.view": who viewed which resident), the detail page and each search result alike
(the results show the phone and the ID number). Which residents an admin reaches is
access.can_administer_resident. Functions flush, never commit."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from district_portal import access
from district_portal.models import Dossier, DossierStatus, User
from district_portal.models.types import utcnow
from district_portal.phones import PhoneError, parse_phone
from district_portal.services.accounts.auth import RESET_PASSWORD, _expire_tokens, end_all_sessions
from district_portal.services.admin import audit
from district_portal.services.errors import ServiceError
from district_portal.text import clean

MAX_RESULTS = 50
ID_NUMBER = re.compile(r"\d{9}|\d{12}")  # the old 9-digit card or the 12-digit personal number


class ResidentError(ServiceError):
    """A change to a resident's account was refused; `field` names the form field."""

    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(message, status)
        self.field = field


def id_number_of(resident: User) -> str:
    return str((resident.profile or {}).get("applicant_id_number") or "")


def _scope(query, admin: User):
    """Residents only (no office, no staff role); for a commune admin, those with a dossier
    past its draft at one of their offices."""
    query = query.where(User.office_id.is_(None))
    if access.is_province_admin(admin):
        return query
    ids = access.administered_office_ids(admin)
    return query.where(exists().where(
        Dossier.applicant_user_id == User.id, Dossier.status != DossierStatus.DRAFT,
        or_(Dossier.receiving_office_id.in_(ids), Dossier.handling_office_id.in_(ids))))


def search(session: Session, admin: User, text: str) -> list[User]:
    """Residents matching `text`: an ID number (exact, on the profile or a dossier they
    filed), a phone number, an email (part of it) or a name (part of it). At most
    MAX_RESULTS; each one shown is recorded as a view."""
    text = clean(text)
    if not text or not access.can_administer(admin):
        return []
    compact = re.sub(r"[\s.\-]", "", text)
    query = select(User)
    if ID_NUMBER.fullmatch(compact):
        query = query.where(or_(
            User.profile["applicant_id_number"].as_string() == compact,
            exists().where(Dossier.applicant_user_id == User.id,
                           Dossier.applicant["id_number"].as_string() == compact)))
    elif "@" in text:
        query = query.where(or_(User.email.ilike(f"%{audit._like(text)}%", escape="\\"),
                                User.pending_email.ilike(f"%{audit._like(text)}%",
                                                         escape="\\")))
    else:
        phone = _phone(compact)
        query = query.where(User.phone == phone) if phone else query.where(
            User.full_name.ilike(f"%{audit._like(text)}%", escape="\\"))
    rows = [u for u in session.scalars(_scope(query, admin).order_by(User.full_name, User.id)
                                       .limit(MAX_RESULTS * 2)) if not u.is_staff]
    rows = rows[:MAX_RESULTS]
    for resident in rows:
        audit.record(session, admin, "resident.view", "resident", resident.public_id,
                     note="search result")
    session.flush()
    return rows


def _phone(text: str) -> str | None:
    if not text.lstrip("+").isdigit():
        return None
    try:
        return parse_phone(text)
    except PhoneError:
        return None


def find(session: Session, admin: User, public_id: str) -> User | None:
    """The resident with this public id if `admin` reaches them, else None (404)."""
    resident = session.scalar(select(User).where(User.public_id == str(public_id)[:40]))
    return resident if access.can_administer_resident(admin, resident) else None


def details(session: Session, admin: User, resident: User) -> dict:
    """What the resident's page shows (read-only), recorded as a view: their data and the
    codes of their dossiers at the offices `admin` administers."""
    ids = access.administered_office_ids(admin)
    codes = list(session.scalars(
        select(Dossier.code).where(
            Dossier.applicant_user_id == resident.id, Dossier.code.is_not(None),
            or_(Dossier.receiving_office_id.in_(ids), Dossier.handling_office_id.in_(ids)))
        .order_by(Dossier.submitted_at.desc(), Dossier.id.desc())))
    audit.record(session, admin, "resident.view", "resident", resident.public_id,
                 note="detail page")
    session.flush()
    profile = resident.profile or {}
    return {"id_number": id_number_of(resident),
            "street": profile.get("applicant_street") or "",
            "two_factor": resident.totp_enabled_at is not None, "codes": codes}


def set_active(session: Session, admin: User, resident: User, active: bool,
               reason: str) -> None:
    """Deactivate (every session ends, reset links die) or reactivate, with a reason."""
    reason = clean(reason)
    if not reason:
        raise ResidentError(_l("Give the reason: it is kept in the audit log."), "reason")
    if resident.active == active:
        return
    resident.active = active
    if not active:
        end_all_sessions(session, resident)
        _expire_tokens(session, resident, RESET_PASSWORD, utcnow())
    session.flush()
    audit.record(session, admin, "resident.reactivate" if active else "resident.deactivate",
                 "resident", resident.public_id, before={"active": not active},
                 after={"active": active}, note=reason)
