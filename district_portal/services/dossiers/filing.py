"""Filing: drafts, answers, uploads, submission, tracking. Verbs that flush, never commit."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from district_portal import codes, eform
from district_portal.eform import DossierForm
from district_portal.models import (
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierStatus,
    Office,
    OnlineLevel,
    Procedure,
    User,
)
from district_portal.models.types import utcnow
from district_portal.phones import display_phone
from district_portal.services.calendar.days import calendar_for
from district_portal.services.catalog import fees
from district_portal.services.dossiers.attachments import FilingError
from district_portal.services.dossiers.attachments import add_attachment as add_attachment
from district_portal.services.dossiers.attachments import find_attachment as find_attachment
from district_portal.services.dossiers.attachments import may_remove as may_remove
from district_portal.services.dossiers.attachments import (
    remove_attachment as remove_attachment,
)
from district_portal.services.dossiers.workflow import Action, WorkflowError, perform
from district_portal.text import LOCAL_TZ, fold

# Apply twice within this many seconds (a double click, a slow link resending) and the second
# gets the first's draft.
REUSE_DRAFT_SECONDS = 30


def get_by_public_id(session: Session, public_id: str) -> Dossier | None:
    return session.scalar(
        select(Dossier).where(Dossier.public_id == public_id)
        .options(selectinload(Dossier.attachments), selectinload(Dossier.events))
    )


def get_by_code(session: Session, code: str) -> Dossier | None:
    """A submitted dossier by its legal code (drafts have none), with what its pages show."""
    if not code or len(code) > 64:
        return None
    return session.scalar(
        select(Dossier).where(Dossier.code == code)
        .options(selectinload(Dossier.attachments), selectinload(Dossier.procedure_version),
                 selectinload(Dossier.events).selectinload(DossierEvent.actor),
                 selectinload(Dossier.events).selectinload(DossierEvent.to_office))
    )


def user_dossiers(session: Session, user: User) -> list[Dossier]:
    """The user's drafts and filed dossiers, newest first."""
    return list(session.scalars(
        select(Dossier).where(Dossier.applicant_user_id == user.id)
        .options(selectinload(Dossier.procedure))
        .order_by(Dossier.updated_at.desc(), Dossier.id.desc())
    ))


def start_draft(session: Session, user: User, procedure: Procedure) -> Dossier:
    """A new draft of `procedure` for `user`, prefilled from the account; refuses procedures
    that are unpublished or filed at the office only."""
    if procedure is None or not procedure.published:
        raise FilingError(_l("This procedure is not offered."), 404)
    if procedure.online_level == OnlineLevel.NONE:
        raise FilingError(_l("This procedure can only be filed at the office."), 400)
    version = procedure.current_version
    offices = procedure.receiving_offices  # a merged office's successor in its place
    if not offices:
        raise FilingError(_l("No office receives this procedure online at the moment."), 400)
    recent = _recent_draft(session, user, procedure)
    if recent is not None:  # a double click, or the form sent again: the same draft
        return recent
    profile = dict(user.profile or {})
    applicant = {
        "applicant_type": profile.get("applicant_type", "person"),
        "applicant_name": user.full_name if "@" not in user.full_name else "",
        "applicant_phone": display_phone(user.phone) if user.phone else "",
        "applicant_email": user.email or "",
    }
    for key in ("applicant_id_number", "applicant_commune", "applicant_commune.province",
                "applicant_street", "applicant_tax_code", "applicant_representative"):
        if profile.get(key):
            applicant[key] = profile[key]
    dossier = Dossier(
        procedure=procedure, procedure_version=version, applicant_user_id=user.id,
        applicant=applicant, answers={}, status=DossierStatus.DRAFT, channel="online",
        receiving_office_id=offices[0].id if len(offices) == 1 else None,
    )
    session.add(dossier)
    session.flush()
    return dossier


def _recent_draft(session: Session, user: User, procedure: Procedure) -> Dossier | None:
    """The user's untouched draft of `procedure` started within the last few seconds, if any; else
    None, after checking the user may start one more draft. The user's row is locked first,
    so two applies at once take turns (the second then finds the first's draft)."""
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    since = utcnow() - timedelta(seconds=REUSE_DRAFT_SECONDS)
    mine = (Dossier.applicant_user_id == user.id, Dossier.status == DossierStatus.DRAFT,
            Dossier.channel == "online")
    recent = session.scalar(select(Dossier).where(
        *mine, Dossier.procedure_id == procedure.id, Dossier.created_at >= since)
        .order_by(Dossier.id.desc()).limit(1))
    if recent is not None and not recent.answers:  # untouched since it was started
        return recent
    limit = current_app.config["MAX_DRAFTS_PER_USER"]
    if session.scalar(select(func.count(Dossier.id)).where(*mine)) >= limit:
        raise FilingError(_l("You already have %(n)d unfinished drafts, the most allowed. "
                             "Finish one in “My dossiers” first; drafts left untouched for "
                             "%(days)d days are removed.", n=limit,
                             days=current_app.config["PURGE_DRAFT_DAYS"]), 409)
    return None


def start_counter_draft(session: Session, clerk: User, procedure: Procedure) -> Dossier:
    """A new counter (walk-in) draft taken by `clerk` at the desk of the clerk's office: no
    applicant account, channel "counter", received by the clerk's office. Refuses procedures
    that are unpublished or not received by that office (any online level may be taken at
    the desk)."""
    if procedure is None or not procedure.published:
        raise FilingError(_l("This procedure is not offered."), 404)
    office = clerk.office
    if office is None or office not in procedure.receiving_offices:
        raise FilingError(_l("Your office does not receive this procedure."), 400)
    version = procedure.current_version
    dossier = Dossier(
        procedure=procedure, procedure_version=version, applicant_user_id=None,
        applicant={"applicant_type": "person"}, answers={}, status=DossierStatus.DRAFT,
        channel="counter", receiving_office_id=office.id, receiving_office=office,
    )
    session.add(dossier)
    session.flush()
    return dossier


def save_counter_answers(session: Session, dossier: Dossier, form: DossierForm) -> None:
    """As save_answers, but the receiving office stays the desk's office whatever is posted."""
    if "applicant_office" in form.by_key and dossier.receiving_office is not None:
        form.raw["applicant_office"] = dossier.receiving_office.agency_code
    save_answers(session, dossier, form)


def form_specs(dossier: Dossier):
    """The fields of the dossier's e-form (its procedure version, its active offices); at the
    counter the applicant's phone is optional."""
    offices = dossier.procedure.receiving_offices
    return eform.form_specs(dossier.procedure_version.data, offices,
                            counter=dossier.channel == "counter")


def load_form(dossier: Dossier) -> DossierForm:
    """The e-form filled with what the dossier holds (raw text, or typed answers after
    submission, turned back into text)."""
    office = dossier.receiving_office
    return DossierForm(form_specs(dossier), eform.raw_answers(
        dossier.applicant, dossier.answers, office.agency_code if office else None))


def save_answers(session: Session, dossier: Dossier, form: DossierForm) -> None:
    """Keep what was typed (valid or not, each answer cut to what its field may hold, as on
    submit); hidden fields are dropped."""
    form.limit_lengths()
    raw = form.visible_raw()
    dossier.applicant, dossier.answers = eform.split_applicant(raw)
    code = raw.get("applicant_office")
    if code:
        office = next((o for o in dossier.procedure.receiving_offices
                       if o.agency_code == code), None)
        if office is not None:
            dossier.receiving_office_id = office.id
    dossier.updated_at = utcnow()
    session.flush()


def documents(dossier: Dossier) -> list[dict]:
    """The procedure's documents, each with the files attached to it."""
    out = []
    for doc in dossier.procedure_version.data.get("documents", []):
        files = [a for a in dossier.attachments if a.document_key == doc["key"]]
        out.append({**doc, "files": files})
    return out


def missing_documents(dossier: Dossier) -> list[dict]:
    return [d for d in documents(dossier) if d["mandatory"] and not d["files"]]


def submit(session: Session, dossier: Dossier, actor: User, nonce: str) -> Dossier:
    """Submit a draft exactly once: a repeated POST with the same nonce returns the same
    dossier and changes nothing."""
    if not nonce or len(nonce) > 64:
        raise FilingError(_l("The form is incomplete. Reload the page and try again."), 400)
    # Lock the row first: a 2G browser may resend the form while the first POST still runs;
    # the resend waits here and then sees the first one's result instead of failing on the
    # version check. (A no-op on SQLite, where writing requests are already serialised.)
    session.refresh(dossier, with_for_update=True)
    if dossier.submission_nonce == nonce and dossier.status != DossierStatus.DRAFT:
        return dossier
    if session.scalar(select(Dossier.id).where(Dossier.submission_nonce == nonce,
                                               Dossier.id != dossier.id)):
        raise WorkflowError(_l("This form was already used for another dossier. Check your "
                               "answers and submit again."), 400)
    perform(session, dossier, Action.SUBMIT, actor, nonce=nonce)
    return dossier


def prepare_submission(ctx) -> None:
    """Called by the workflow inside `submit`: validate, allocate code and ref and start the
    intake clock (the workflow then queues the filing confirmation)."""
    session, dossier = ctx.session, ctx.dossier
    form = load_form(dossier)
    if not form.validate():
        raise WorkflowError(_l("Some answers need correcting before you can submit."), 400)
    if missing_documents(dossier):
        raise WorkflowError(_l("Upload every required document before you submit."), 400)
    office = dossier.receiving_office
    if office is not None and not office.active and office.current() is not None:
        office = office.current()  # merged into another since the draft was started
        dossier.receiving_office_id, dossier.receiving_office = office.id, office
    if office is None or not office.active or office.is_provisional:
        raise WorkflowError(_l("The receiving office cannot take dossiers yet. Choose another "
                               "office or call the commune."), 400)
    applicant, dossier.answers = eform.split_applicant(form.cleaned(), strip_prefix=True)
    dossier.applicant = applicant
    dossier.applicant_phone = applicant.get("phone")
    dossier.applicant_name_search = fold(applicant.get("name", ""))[:300]
    dossier.handling_office_id = office.id
    dossier.handling_office = office
    dossier.ref = _unique_ref(session)
    dossier.submission_nonce = ctx.inputs.get("nonce")
    dossier.submitted_at = ctx.now
    try:  # the bill as the answers make it, kept with the dossier
        bill = fees.quote(dossier.procedure_version.data, dossier.answers)
    except fees.FeeError as exc:
        raise WorkflowError(exc.message, 400) from None
    dossier.fee_lines = bill.lines_json()
    dossier.fee = bill.total
    dossier.payment_state = "unpaid" if dossier.fee else "none"
    days = current_app.config["INTAKE_WORKING_DAYS"]
    if dossier.channel == "online":
        dossier.intake_due_at = calendar_for(session, office).intake_due(ctx.now, days)
    _remember_profile(session, dossier)
    # Last: the counter row stays locked until the request commits, so hold it briefly.
    dossier.code = allocate_code(session, office, ctx.now)
    ctx.data.update(code=dossier.code, ref=dossier.ref, channel=dossier.channel)


def preview_fee(dossier: Dossier, form: DossierForm) -> tuple[fees.FeeQuote | None,
                                                               fees.FeeError | None]:
    """The bill the current answers would make, for the check page: (quote, None), or
    (None, the error naming the answer to fix); (None, None) while the answers are invalid."""
    if form.errors:
        return None, None
    answers = {k: v for k, v in form.cleaned().items() if not k.startswith("applicant_")}
    try:
        return fees.quote(dossier.procedure_version.data, answers), None
    except fees.FeeError as exc:
        return None, exc


def _remember_profile(session: Session, dossier: Dossier) -> None:
    if dossier.applicant_user_id is None or dossier.channel != "online":
        return
    user = session.get(User, dossier.applicant_user_id)
    a = dossier.applicant
    profile = dict(user.profile or {})
    profile.update({
        "applicant_type": a.get("type") or "person",
        "applicant_id_number": a.get("id_number") or "",
        "applicant_tax_code": a.get("tax_code") or "",
        "applicant_representative": a.get("representative") or "",
        "applicant_commune": str(a.get("commune") or ""),
        "applicant_street": a.get("street") or "",
    })
    user.profile = profile


def allocate_code(session: Session, office: Office, now) -> str:
    """The next mã hồ sơ of `office` for the local day of `now`: gap-free and unique under
    concurrency (an upsert that locks the counter row until the transaction ends)."""
    day = now.astimezone(LOCAL_TZ).date()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(DossierCounter).values(office_id=office.id, day=day, last_number=1)
        .on_conflict_do_update(index_elements=["office_id", "day"],
                               set_={"last_number": DossierCounter.last_number + 1})
        .returning(DossierCounter.last_number)
    )
    number = session.execute(stmt).scalar_one()
    return codes.format_dossier_code(office.agency_code, day, number)


def _unique_ref(session: Session) -> str:
    for _ in range(20):
        ref = codes.new_ref()
        if not session.scalar(select(Dossier.id).where(Dossier.ref == ref)):
            return ref
    raise RuntimeError("could not find a free tracking code")


def find_for_tracking(session: Session, lookup: str, phone: str | None = None, *,
                      id_number: str | None = None) -> Dossier | None:
    """A submitted dossier whose code or ref matches and whose applicant gave this phone
    (E.164) or this ID number (12 digits; how a walk-in without a phone tracks); None
    otherwise (a code alone reveals nothing)."""
    parsed = codes.parse_lookup(lookup)
    if parsed is None or not (phone or id_number):
        return None
    kind, value = parsed
    column = Dossier.code if kind == "code" else Dossier.ref
    query = select(Dossier).where(func.upper(column) == value.upper(),
                                  Dossier.status != DossierStatus.DRAFT)
    if phone:
        query = query.where(Dossier.applicant_phone == phone)
    dossier = session.scalar(query.options(selectinload(Dossier.events)))
    if dossier is not None and not phone and \
            (dossier.applicant or {}).get("id_number") != id_number:
        return None
    return dossier


def answer_supplement(session: Session, dossier: Dossier, actor: User,
                      form: DossierForm | None) -> None:
    """Send the resident's supplement: changed answers and/or new documents since the
    request; the clock resumes from where it paused. The workflow is asked first: if it
    refuses (WorkflowError), the answers are left as they were."""
    cleaned: dict = {}
    changes: list[str] = []
    if form is not None:
        if not form.validate():
            raise WorkflowError(_l("Some answers need correcting before you send them."), 400)
        cleaned = form.cleaned()
        old = {**{f"applicant_{k}": v for k, v in dossier.applicant.items()}, **dossier.answers}
        changes = [key for key, value in cleaned.items()
                   if not key.endswith("_label") and old.get(key) != value]
    since = dossier.paused_at
    for a in dossier.attachments:
        if a.kind == "supplement" and since is not None and a.created_at >= since:
            changes.append(f"document:{a.document_key}")
    perform(session, dossier, Action.SUPPLEMENT, actor, changes=changes)
    if any(not c.startswith("document:") for c in changes):
        dossier.applicant, dossier.answers = eform.split_applicant(cleaned, strip_prefix=True)
        dossier.applicant_phone = dossier.applicant.get("phone")
        dossier.applicant_name_search = fold(dossier.applicant.get("name", ""))[:300]
        session.flush()


def pending_supplement_request(dossier: Dossier):
    """The latest request_supplement event (what the office asked for)."""
    for event in reversed(dossier.events):
        if event.action == "request_supplement":
            return event
    return None


def by_ref(session: Session, ref: str) -> Dossier | None:
    """The filed dossier with this tracking code, as typed or printed (None if none): the
    short links of SMS (/supplement/<code>, /pay/<code>) use it; who may open the dossier is
    access.py's question."""
    canonical = codes.normalize_ref(ref)
    if canonical is None:
        return None
    return session.scalar(select(Dossier).where(Dossier.ref == canonical))
