"""Who may do what to which dossier: one function per question. Views ask here, nowhere else.

Every question answers False for anonymous users unless it says otherwise. A staff member who
may not see a dossier gets the same 404 as for a dossier that does not exist.
"""

from __future__ import annotations

from sqlalchemy import select

from district_portal.models import Dossier, DossierStatus, Office, Role, User


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and \
        isinstance(user, User)


def is_owner(user, dossier: Dossier) -> bool:
    return _is_user(user) and dossier.applicant_user_id is not None and \
        dossier.applicant_user_id == user.id


def office_ids_visible_to(user: User) -> set[int]:
    """The staff member's office and, for province-level offices, every office below it."""
    if not _is_user(user) or not user.is_staff or user.office_id is None:
        return set()
    ids = {user.office_id}
    office = user.office
    if office is not None and str(office.kind) in ("province", "centre"):
        # Province staff may read the dossiers of the offices below the province.
        from sqlalchemy.orm import object_session

        from district_portal import db
        from district_portal.services.catalog.queries import office_subtree

        top = office.parent if str(office.kind) == "centre" and office.parent else office
        ids.update(office_subtree(object_session(user) or db.session(), top))
    return ids


def is_staff_of(user, dossier: Dossier) -> bool:
    """Staff of the receiving or the handling office (or above it, for reading)."""
    if not _is_user(user) or not user.is_staff or dossier.status == DossierStatus.DRAFT:
        return False
    visible = office_ids_visible_to(user)
    return dossier.receiving_office_id in visible or dossier.handling_office_id in visible


def can_view_dossier(user, dossier: Dossier) -> bool:
    """The owner always; staff of its offices once it is submitted."""
    return is_owner(user, dossier) or is_staff_of(user, dossier)


def can_edit_draft(user, dossier: Dossier) -> bool:
    """The owner of an online draft; for a counter draft (no owner), the clerks of the
    receiving office that opened it."""
    if dossier.status != DossierStatus.DRAFT:
        return False
    if dossier.channel == "counter":
        return is_counter_clerk_of(user, dossier)
    return is_owner(user, dossier)


def is_counter_clerk_of(user, dossier: Dossier) -> bool:
    """A clerk of the office that receives a counter (walk-in) dossier."""
    return _is_user(user) and user.active and user.has_role(Role.CLERK) and \
        dossier.channel == "counter" and user.office_id is not None and \
        user.office_id == dossier.receiving_office_id


def can_view_filed_dossier(user, dossier: Dossier) -> bool:
    """The owner, or staff of its offices, once the dossier is filed: its receipt, slips and
    result exist only from then (a draft has none)."""
    return dossier.status != DossierStatus.DRAFT and can_view_dossier(user, dossier)


def _workflow():
    # The workflow asks this module who an actor is (actor_kinds): imported when used.
    from district_portal.services.dossiers import workflow

    return workflow


def can_answer_supplement(user, dossier: Dossier) -> bool:
    """The owner, while the workflow allows a supplement now."""
    wf = _workflow()
    return is_owner(user, dossier) and wf.can(user, dossier, wf.Action.SUPPLEMENT)


def can_withdraw(user, dossier: Dossier) -> bool:
    """The owner, while the workflow allows withdrawing now."""
    wf = _workflow()
    return is_owner(user, dossier) and wf.can(user, dossier, wf.Action.WITHDRAW)


def can_choose_delivery(user, dossier: Dossier) -> bool:
    """The owner, until the result is returned (whether post is offered is the service's
    question)."""
    from district_portal.services.dossiers.delivery import CHOICE_STATUSES

    return is_owner(user, dossier) and dossier.status in CHOICE_STATUSES


def can_rate(user, dossier: Dossier) -> bool:
    """The owner, once the result is returned and while it is not rated yet (the clerk rates
    on the resident's behalf through the staff page's `rate` action)."""
    return is_owner(user, dossier) and dossier.status == DossierStatus.RETURNED and \
        dossier.rating is None


def can_download_attachment(user, dossier: Dossier) -> bool:
    """Uploads are served to the owner and to staff of the receiving or handling office."""
    return can_view_dossier(user, dossier)


def can_pay(user, dossier: Dossier) -> bool:
    """Only the owner pays a dossier online, and only while the workflow's `pay` row allows
    it and a fee is unpaid."""
    from district_portal.services.payments.attempts import payable

    return is_owner(user, dossier) and payable(dossier)


def can_download_fee_receipt(user, dossier: Dossier) -> bool:
    """E-receipts (biên lai): the owner and staff of the dossier's offices."""
    return can_view_filed_dossier(user, dossier)


def can_file(user) -> bool:
    """Any logged-in account may file for itself."""
    return _is_user(user) and user.is_active


def has_role(user, role: Role) -> bool:
    return _is_user(user) and user.has_role(role)


def actor_kinds(user, dossier: Dossier) -> set[str]:
    """What `user` is to `dossier`, in the words of the transition table: 'owner', and
    '<role>@receiving' / '<role>@handling' for staff of those offices."""
    kinds: set[str] = set()
    if not _is_user(user):
        return kinds
    if is_owner(user, dossier):
        kinds.add("owner")
    if user.is_staff and user.office_id is not None:
        for role in (Role.CLERK, Role.OFFICER, Role.LEADER):
            if not user.has_role(role):
                continue
            if user.office_id == dossier.receiving_office_id:
                kinds.add(f"{role}@receiving")
            if user.office_id == dossier.handling_office_id:
                kinds.add(f"{role}@handling")
    return kinds


# --- results, slips and the ledger -------------------------------------------------------------

RESULT_PREPARERS = frozenset({"officer@handling", "leader@handling"})
SLIP_KINDS = ("receipt", "supplement", "refusal", "apology", "control")
# The control slip is the office's internal record; the applicant gets the others.
APPLICANT_SLIP_KINDS = frozenset({"receipt", "supplement", "refusal", "apology"})


def can_prepare_result(user, dossier: Dossier) -> bool:
    """An officer or a leader of the handling office (whatever the status; the service checks
    that the dossier is still being processed)."""
    return bool(actor_kinds(user, dossier) & RESULT_PREPARERS)


def can_issue_result(user, dossier: Dossier) -> bool:
    """A leader of the handling office signs the result (the `complete` row of the table)."""
    return "leader@handling" in actor_kinds(user, dossier)


def can_download_result(user, dossier: Dossier) -> bool:
    """The issued result: the owner and staff of its offices, once it is done or returned."""
    return dossier.status in _workflow().RESULT_STATUSES \
        and bool((dossier.result or {}).get("sha256")) \
        and (is_owner(user, dossier) or is_staff_of(user, dossier))


def can_download_slip(user, dossier: Dossier, kind: str) -> bool:
    """Staff of the dossier's offices get every slip; the owner every one but the control
    slip. Whether the slip applies yet is the slip builder's question."""
    if kind not in SLIP_KINDS:
        return False
    return is_staff_of(user, dossier) or (kind in APPLICANT_SLIP_KINDS and
                                          is_owner(user, dossier))


def can_print_ledger(user) -> bool:
    """Staff with an office print that office's ledger (form 06)."""
    return _is_user(user) and user.is_staff and user.office_id is not None
# --- staff pages ---------------------------------------------------------------------------


def can_work_inbox(user) -> bool:
    """Active staff attached to an office may open the staff pages."""
    return _is_user(user) and user.active and user.is_staff and user.office_id is not None


def can_open_staff_dossier(user, dossier: Dossier) -> bool:
    """The staff dossier page, its downloads and its actions: staff of its receiving or
    handling office (or above it); a counter draft only to its receiving office's staff."""
    if not can_work_inbox(user):
        return False
    if dossier.status == DossierStatus.DRAFT:
        return dossier.channel == "counter" and user.office_id == dossier.receiving_office_id
    return is_staff_of(user, dossier)


def can_take_counter_dossiers(user) -> bool:
    """Counter intake (walk-in residents) is the one-stop desk's job."""
    return can_work_inbox(user) and user.has_role(Role.CLERK)


def can_manage_calendar(user) -> bool:
    return can_work_inbox(user) and user.has_role(Role.ADMIN)


def can_view_readiness(user) -> bool:
    """The road to fully online: staff of the province (its committee or service centre) and
    admins."""
    if not can_work_inbox(user):
        return False
    return user.has_role(Role.ADMIN) or (
        user.office is not None and str(user.office.kind) in ("province", "centre"))


def readiness_scope(user) -> Office | None:
    """The offices whose road to fully online `user` sees: every office for an admin, else
    the user's province (a service centre's staff see the province above it)."""
    if user.has_role(Role.ADMIN):
        return None
    office = user.office
    return office.parent if str(office.kind) == "centre" and office.parent else office


def can_manage_api_keys(user) -> bool:
    """API keys and webhooks for other systems: the province's admins only (a key may read
    every office's changes; issue 13)."""
    return is_province_admin(user)


# --- the admin console (issue 13) -----------------------------------------------------------
# Admins administer the offices they are staff of: a province admin (an admin of the
# province's committee or service centre) every office of the province, a commune admin their
# own office. The catalogue is the province's: only province admins edit procedures.


def can_administer(user) -> bool:
    """The admin console at all: active admins attached to an office."""
    return can_work_inbox(user) and user.has_role(Role.ADMIN)


def is_province_admin(user) -> bool:
    return can_administer(user) and user.office is not None and \
        str(user.office.kind) in ("province", "centre")


def administered_office_ids(user) -> set[int]:
    """The offices `user` may administer (empty for anyone who is not an admin)."""
    return office_ids_visible_to(user) if can_administer(user) else set()


def can_administer_office(user, office: Office | None) -> bool:
    """An office's details, staff and calendar. `None` (the province-wide calendar, a new
    office without a parent) is a province admin's."""
    if office is None:
        return is_province_admin(user)
    return office.id in administered_office_ids(user)


def can_edit_catalogue(user) -> bool:
    """Create procedures, import and export the catalogue."""
    return is_province_admin(user)


def can_edit_procedure(user, procedure) -> bool:
    """A province admin, for a procedure every office of which is in their province."""
    if not is_province_admin(user):
        return False
    ids = administered_office_ids(user)
    return all(o.id in ids for o in procedure.offices)


def can_administer_staff(user, account) -> bool:
    """A staff account in the admin console: its office is one `user` administers (a
    resident, with no office, never: residents have their own page)."""
    return _is_user(account) and account.is_staff and account.office_id is not None and \
        account.office_id in administered_office_ids(user)


def can_administer_resident(user, resident) -> bool:
    """A resident's page in the admin console. Residents belong to no office: a province
    admin reaches every resident of the portal, a commune admin only those with a dossier
    (past its draft) received or handled by their office."""
    if not can_administer(user) or not _is_user(resident) or resident.is_staff \
            or resident.office_id is not None:
        return False
    if is_province_admin(user):
        return True
    from sqlalchemy.orm import object_session

    from district_portal import db

    ids = administered_office_ids(user)
    session = object_session(resident) or db.session()
    return session.scalar(select(Dossier.id).where(
        Dossier.applicant_user_id == resident.id, Dossier.status != DossierStatus.DRAFT,
        (Dossier.receiving_office_id.in_(ids) | Dossier.handling_office_id.in_(ids)))
        .limit(1)) is not None


def can_restructure_office(user, office: Office | None) -> bool:
    """An office's agency code, kind, parent and active state, and new offices (`None`):
    province admins, for the offices of their province. A commune admin edits only their
    own office's details (address, phone, hours, postage)."""
    return is_province_admin(user) and can_administer_office(user, office)


def can_set_signing_certificate(user, office: Office | None) -> bool:
    """Install or remove the PKCS#12 certificate an office signs its results with: province
    admins, for an existing office of their province (a commune admin only sees which
    certificate signs)."""
    return office is not None and can_restructure_office(user, office)


def same_site_form(headers, host_url: str) -> bool:
    """May a form POST that carries no CSRF token be trusted to come from our own pages?

    Only for the look-up forms that set no cookie (/track, also on the home page, which is
    the same for every visitor and cached): they change nothing and need the applicant's
    phone or ID number anyway. Fetch Metadata first (`Sec-Fetch-Site`: same-origin), then
    the `Origin`, then the `Referer`; a browser old enough to send none of them passes
    (OWASP's "verify the origin with standard headers")."""
    from urllib.parse import urlsplit

    site = headers.get("Sec-Fetch-Site")
    if site:
        return site in ("same-origin", "none")
    ours = urlsplit(host_url)
    for name in ("Origin", "Referer"):
        value = headers.get(name)
        if value and value != "null":
            theirs = urlsplit(value)
            return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)
        if value == "null":
            return False
    return True
