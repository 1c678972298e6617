"""The offices of the admin console (issue 13): the province's tree, new offices, their
details, provisional agency codes, the communes of vietnam-provinces, and deactivation with a
successor that takes the office's new dossiers (its history stays with it).

Who may do what is access.py's (can_administer_office, can_restructure_office); the views
ask it and give 404. Each change is audited here, in the caller's transaction, with the
attributes that changed before and after. Office is public data (models/site.py): the page
cache moves on with the same flush."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from district_portal import access
from district_portal.collation import sorted_vi
from district_portal.models import Office, OfficeKind, User
from district_portal.models.office import PROVISIONAL_PREFIX
from district_portal.services.admin import audit
from district_portal.services.catalog import units
from district_portal.services.catalog.queries import office_subtree
from district_portal.services.errors import ServiceError

# As catalog.schema.json's office agency_code (what catalog-import accepts).
AGENCY_CODE = re.compile(r"[0-9A-Z][0-9A-Z.]{2,31}")
DETAILS = ("address", "phone", "hours", "postage")
STRUCTURE = ("agency_code", "name", "kind", "parent", "admin_unit_code")
KINDS_BELOW_PROVINCE = (OfficeKind.CENTRE, OfficeKind.DEPARTMENT, OfficeKind.COMMUNE)


class OfficeError(ServiceError):
    """A refusal shown beside `field` of the form (or above it when field is None)."""

    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(message, status)
        self.field = field


@dataclass
class OfficeValues:
    """What the office form sends (already trimmed and typed by the form)."""

    agency_code: str = ""
    name: str = ""
    kind: str = ""
    parent: str = ""  # the parent's agency code, "" for none
    admin_unit_code: int | None = None
    address: str = ""
    phone: str = ""
    hours: list[str] | None = None
    postage: int | None = None


def snapshot(office: Office) -> dict:
    """The audited attributes of an office, as plain values."""
    return {
        "agency_code": office.agency_code, "name": office.name, "kind": str(office.kind),
        "parent": office.parent.agency_code if office.parent else None,
        "admin_unit_code": office.admin_unit_code, "address": office.address,
        "phone": office.phone, "hours": office.hours, "postage": office.postage,
        "active": office.active,
        "successor": office.successor.agency_code if office.successor else None,
    }


def _record(session, actor, action, office, before, note="") -> bool:
    """Audit what changed between `before` and now; False (and nothing logged) if nothing."""
    after = snapshot(office)
    keys = audit.changed_fields(before, after)
    if not keys and before:
        return False
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # another admin took the code meanwhile (unique in the database)
        raise OfficeError(_l("Another office already has this agency code."),
                          "agency_code") from None
    audit.record(session, actor, action, "office", office.agency_code,
                 before={k: before[k] for k in keys} if before else None,
                 after={k: after[k] for k in keys} if before else after,
                 office=office, note=note)
    return True


# --- reading ------------------------------------------------------------------------------


def by_code(session: Session, code: str) -> Office | None:
    if not code or len(code) > 40 or "\x00" in code:
        return None
    return session.scalar(select(Office).where(Office.agency_code == code))


def administered(session: Session, user: User, code: str) -> Office | None:
    """The office with this agency code if `user` administers it, else None (a 404)."""
    office = by_code(session, code)
    return office if office is not None and access.can_administer_office(user, office) else None


def tree(session: Session, user: User) -> list[tuple[Office, int]]:
    """The offices `user` administers, each after its parent, with its depth (siblings in
    Vietnamese alphabetical order)."""
    ids = access.administered_office_ids(user)
    offices = list(session.scalars(select(Office).where(Office.id.in_(ids)))) if ids else []
    children: dict[int | None, list[Office]] = {}
    for o in offices:
        parent = o.parent_id if o.parent_id in ids else None
        children.setdefault(parent, []).append(o)
    out: list[tuple[Office, int]] = []
    stack = [(o, 0) for o in reversed(sorted_vi(children.get(None, []), key=lambda o: o.name))]
    seen: set[int] = set()
    while stack:
        o, depth = stack.pop()
        if o.id in seen:
            continue
        seen.add(o.id)
        out.append((o, depth))
        below = sorted_vi(children.get(o.id, []), key=lambda o: o.name)
        stack.extend((c, depth + 1) for c in reversed(below))
    return out


def province_root(user: User) -> Office | None:
    """The province office of a province admin (a centre's admin: the centre's parent)."""
    if not access.is_province_admin(user):
        return None
    office = user.office
    return office if office.kind == OfficeKind.PROVINCE else office.parent


def parent_choices(session: Session, user: User,
                   office: Office | None = None) -> list[tuple[Office, int]]:
    """Offices that may be the parent (with their depth in the tree): the province's, minus
    the office and those below it."""
    below = _descendants(session, office) if office is not None else set()
    return [(o, depth) for o, depth in tree(session, user) if o.id not in below]


def successor_choices(session: Session, user: User, office: Office) -> list[Office]:
    """Active offices of the province other than `office` that take dossiers (a provisional
    office does not until it has its real agency code)."""
    return [o for o, _ in tree(session, user)
            if o.active and not o.is_provisional and o.id != office.id]


def _descendants(session: Session, office: Office) -> set[int]:
    return set(office_subtree(session, office))


# --- changes --------------------------------------------------------------------------------


def _check_code(session: Session, code: str, office: Office | None) -> None:
    if not AGENCY_CODE.fullmatch(code):
        raise OfficeError(_l("An agency code has 3 to 32 characters: capital letters, digits "
                             "and dots, starting with a letter or a digit "
                             "(e.g. 000.00.04.T25)."), "agency_code")
    if code.startswith(PROVISIONAL_PREFIX) and (office is None or code != office.agency_code):
        raise OfficeError(_l("Codes starting with %(prefix)s are for offices imported "
                             "without a code yet. Enter the real agency code.",
                             prefix=PROVISIONAL_PREFIX), "agency_code")
    other = by_code(session, code)
    if other is not None and other is not office:
        raise OfficeError(_l("Another office (%(name)s) already has this agency code.",
                             name=other.name), "agency_code")


def _check_parent(session, user, office: Office | None, values: OfficeValues) -> Office | None:
    """The parent chosen, refused when outside the admin's province or below the office."""
    root = province_root(user)
    if office is not None and office is root:  # the province itself stays on top
        if values.parent:
            raise OfficeError(_l("The province's office has no parent office."), "parent")
        if values.kind != OfficeKind.PROVINCE.value:
            raise OfficeError(_l("The province's office stays of the kind province."), "kind")
        return None
    if values.kind not in {k.value for k in KINDS_BELOW_PROVINCE}:
        raise OfficeError(_l("Choose the kind: service centre, department or commune."),
                          "kind")
    if not values.parent:
        raise OfficeError(_l("Choose the parent office."), "parent")
    parent = by_code(session, values.parent)
    if parent is None or not access.can_administer_office(user, parent):
        raise OfficeError(_l("The parent office must be an office of your province."),
                          "parent")
    if office is not None and parent.id in _descendants(session, office):
        raise OfficeError(_l("%(name)s is this office or one below it: an office cannot be "
                             "its own parent.", name=parent.name), "parent")
    return parent


def _check_unit(session: Session, office: Office | None, values: OfficeValues) -> None:
    """One office per official unit and kind: the communes' import matches by it."""
    code = values.admin_unit_code
    if code is None or (office is not None and office.admin_unit_code == code):
        return
    other = session.scalar(select(Office).where(Office.admin_unit_code == code,
                                                Office.kind == values.kind).limit(1))
    if other is not None and other is not office:
        raise OfficeError(_l("Another office (%(name)s) has this official code.",
                             name=other.name), "admin_unit_code")


def _set_details(office: Office, values: OfficeValues) -> None:
    office.address = values.address or None
    office.phone = values.phone or None
    office.hours = list(values.hours) if values.hours else None
    office.postage = values.postage


def create(session: Session, user: User, values: OfficeValues) -> Office:
    """A new office of the province (province admins)."""
    if not access.can_restructure_office(user, None):
        raise OfficeError(_l("Only the province's administrators create offices."), None, 404)
    _check_code(session, values.agency_code, None)
    parent = _check_parent(session, user, None, values)
    _check_unit(session, None, values)
    office = Office(agency_code=values.agency_code, name=values.name,
                    kind=OfficeKind(values.kind), parent=parent,
                    admin_unit_code=values.admin_unit_code, active=True)
    _set_details(office, values)
    session.add(office)
    _record(session, user, "office.create", office, None)
    return office


def update(session: Session, user: User, office: Office, values: OfficeValues) -> bool:
    """Save the form: every attribute for a province admin, the details (address, phone,
    hours, postage) for a commune admin. False when nothing changed."""
    if not access.can_administer_office(user, office):
        raise OfficeError(_l("This office is not one you administer."), None, 404)
    before = snapshot(office)
    if access.can_restructure_office(user, office):
        if values.agency_code != office.agency_code:
            _check_code(session, values.agency_code, office)
        parent = _check_parent(session, user, office, values)
        _check_unit(session, office, values)
        office.agency_code, office.name = values.agency_code, values.name
        office.kind, office.parent = OfficeKind(values.kind), parent
        office.admin_unit_code = values.admin_unit_code
    _set_details(office, values)
    return _record(session, user, "office.edit", office, before)


def set_code(session: Session, user: User, office: Office, code: str) -> None:
    """Give a provisional office (from the communes' import) its real agency code."""
    if not access.can_restructure_office(user, office) or not office.is_provisional:
        raise OfficeError(_l("This office already has its agency code."), None, 404)
    _check_code(session, code, None)
    before = snapshot(office)
    office.agency_code = code
    _record(session, user, "office.code", office, before)


def deactivate(session: Session, user: User, office: Office, successor_code: str,
               note: str = "") -> None:
    """Close an office: its dossiers and staff stay attached to it; residents no longer see
    it, and the procedures listing it send new dossiers to `successor`."""
    if not access.can_restructure_office(user, office) or not office.active:
        raise OfficeError(_l("This office cannot be deactivated."), None, 404)
    if user.office_id == office.id or office is province_root(user):
        raise OfficeError(_l("You cannot deactivate your own office or the province's."))
    successor = by_code(session, successor_code) if successor_code else None
    if successor is None or not access.can_administer_office(user, successor) \
            or not successor.active or successor.is_provisional:
        raise OfficeError(_l("Choose an active office of your province that takes dossiers "
                             "as the successor."), "successor")
    if successor is office:
        raise OfficeError(_l("An office cannot be its own successor."), "successor")
    seen, step = {office.id}, successor.successor
    while step is not None:  # an active office has none; refuse a loop all the same
        if step.id in seen:
            raise OfficeError(_l("This successor would make a circle of successors."),
                              "successor")
        seen.add(step.id)
        step = step.successor
    before = snapshot(office)
    office.active, office.successor = False, successor
    _record(session, user, "office.deactivate", office, before, note)


def reactivate(session: Session, user: User, office: Office, note: str = "") -> None:
    """Open a deactivated office again: it takes its procedures' new dossiers back."""
    if not access.can_restructure_office(user, office) or office.active:
        raise OfficeError(_l("This office is active."), None, 404)
    before = snapshot(office)
    office.active, office.successor = True, None
    _record(session, user, "office.reactivate", office, before, note)


@dataclass(frozen=True)
class ImportResult:
    created: int
    existing: int


def import_communes(session: Session, user: User) -> ImportResult:
    """The communes of the admin's own province from vietnam-provinces, as provisional
    offices under the province's office (idempotent: those already there are kept)."""
    root = province_root(user)
    if root is None or not access.can_restructure_office(user, root):
        raise OfficeError(_l("Only the province's administrators import communes."), None, 404)
    if root.admin_unit_code is None:
        raise OfficeError(_l("Enter the province's official code (admin unit code) on the "
                             "province's office first."))
    try:
        units.province(root.admin_unit_code)
    except units.UnknownProvince:
        raise OfficeError(_l("No province has the official code %(code)d.",
                             code=root.admin_unit_code)) from None
    before = set(session.scalars(select(Office.id)))
    created, existing = units.import_units(session, root.admin_unit_code)
    new = [o for o in session.scalars(select(Office).where(Office.id.not_in(before)))] \
        if before else list(session.scalars(select(Office)))
    audit.record(session, user, "office.import", "province", str(root.admin_unit_code),
                 after={"created": created, "existing": existing,
                        "offices": sorted(o.agency_code for o in new)},
                 office=root)
    return ImportResult(created, existing)
