"""What each workflow action does beyond what the transition table declares: the fields it sets,
the checks on its inputs, and the clock (pause, resume, stop).

Only `workflow.perform` calls these, inside the caller's transaction, after it has checked who
acts, from which status, the transition's guards and the required inputs. A handler returns the
new status when it decides it (accept with an unpaid fee), else None for the table's `to`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from district_portal import access, codes
from district_portal.models import Dossier, DossierStatus, Office, User
from district_portal.services import notifications
from district_portal.services.calendar import deadlines
from district_portal.services.calendar.days import calendar_for
from district_portal.services.errors import ServiceError
from district_portal.text import format_money

S = DossierStatus


class WorkflowError(ServiceError):
    """An action that is not allowed now; `message` is shown to the user as it is."""

    def __init__(self, message, status: int = 409):
        super().__init__(message, status)


@dataclass
class Context:
    session: Session
    dossier: Dossier
    actor: User | None
    now: datetime
    inputs: dict = field(default_factory=dict)
    note: str | None = None
    data: dict = field(default_factory=dict)
    from_office: Office | None = None
    to_office: Office | None = None
    note_public: bool = False  # the applicant may read the event's note


# --- the clock -----------------------------------------------------------------------------


def _calendar(ctx: Context):
    return calendar_for(ctx.session, ctx.dossier.handling_office or ctx.dossier.receiving_office)


def pause(ctx: Context, resume_to: DossierStatus) -> None:
    """Keep the remaining working time; the status to go back to is `resume_to`."""
    d = ctx.dossier
    d.resume_status = str(resume_to)
    d.paused_at = ctx.now
    cal = _calendar(ctx)
    deadline = d.due_at if d.due_at is not None else d.intake_due_at
    # Already past the deadline: keep it as it is, so the pause cannot erase the lateness
    # (remaining_seconds stays empty and resume leaves the due time alone).
    d.remaining_seconds = None
    if deadline is not None and ctx.now < deadline:
        d.remaining_seconds = int(cal.working_time_between(ctx.now, deadline).total_seconds())


def resume(ctx: Context) -> DossierStatus:
    """The due time moves by the pause; returns the status the dossier paused from."""
    d = ctx.dossier
    target = DossierStatus(d.resume_status or S.IN_PROGRESS)
    if d.remaining_seconds is not None:
        new_due = _calendar(ctx).add_working_time(ctx.now, timedelta(seconds=d.remaining_seconds))
        if target == S.SUBMITTED:
            d.intake_due_at = new_due
        else:
            d.due_at = new_due
    d.paused_at = None
    d.remaining_seconds = None
    d.resume_status = None
    return target


def stop_clock(ctx: Context) -> None:
    """A final status: the clock stops, and a pause in progress ends with it."""
    d = ctx.dossier
    d.completed_at = ctx.now
    d.paused_at = None
    d.remaining_seconds = None
    d.resume_status = None


# --- handlers ------------------------------------------------------------------------------


def submit(ctx: Context):
    from district_portal.services.dossiers import filing

    filing.prepare_submission(ctx)
    return None


def accept(ctx: Context):
    d = ctx.dossier
    limit = d.procedure_version.data["processing_time"]
    d.accepted_at = ctx.now
    d.due_at = _calendar(ctx).due_at(ctx.now, limit["amount"], limit["unit"])
    ctx.data["due_at"] = d.due_at.isoformat()
    if d.fee and d.payment_state != "paid":
        # Unpaid fee: the processing clock waits for the payment.
        pause(ctx, S.ACCEPTED)
        return S.PAYMENT_REQUESTED
    return None


def supplement(ctx: Context):
    changes = ctx.inputs.get("changes") or []
    if not changes:
        raise WorkflowError(_l("Change an answer or add a document before sending the "
                               "supplement."), 400)
    ctx.data["changes"] = list(changes)
    return None


def assign(ctx: Context):
    officer = ctx.inputs["officer"]
    d = ctx.dossier
    if not isinstance(officer, User) or not officer.has_role("officer") or \
            officer.office_id != d.handling_office_id or not officer.active:
        raise WorkflowError(_l("Choose an officer of the handling office."), 400)
    d.assignee_id = officer.id
    d.assignee = officer
    ctx.data["officer"] = officer.public_id
    ctx.to_office = d.handling_office
    return None


def transfer(ctx: Context):
    target = ctx.inputs["office"]
    d = ctx.dossier
    if not isinstance(target, Office) or not target.active or target.id == d.handling_office_id:
        raise WorkflowError(_l("Choose another, active office."), 400)
    ctx.from_office = d.handling_office
    ctx.to_office = target
    # The reason is internal unless staff chose to show it to the applicant.
    ctx.note_public = bool(ctx.inputs.get("note_public"))
    d.handling_office_id = target.id
    d.handling_office = target
    d.assignee_id = None
    d.assignee = None
    return None


def request_payment(ctx: Context):
    amount = ctx.inputs["amount"]
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise WorkflowError(_l("Enter an amount in đồng greater than zero."), 400)
    d = ctx.dossier
    d.fee = amount
    d.payment_state = "pending"
    ctx.data["amount"] = amount
    return None


def pay(ctx: Context):
    d = ctx.dossier
    d.payment_state = "paid"
    ctx.data["amount"] = d.fee
    ctx.data["payment"] = ctx.inputs.get("payment")
    return None


def complete(ctx: Context):
    d = ctx.dossier
    d.completed_at = ctx.now
    d.result = dict(ctx.inputs["result"])
    d.verification_token = d.verification_token or secrets.token_urlsafe(16)
    ctx.data["late"] = d.due_at is not None and ctx.now > d.due_at
    ctx.data["result"] = {k: v for k, v in d.result.items() if k in ("sha256", "kind")}
    return None


def return_result(ctx: Context):
    d = ctx.dossier
    delivery = dict(ctx.inputs["delivery"])
    if delivery.get("way") not in ("online", "pickup", "post"):
        raise WorkflowError(_l("Choose how the result was delivered."), 400)
    if delivery["way"] == "post" and not (delivery.get("address") and delivery.get("waybill")):
        raise WorkflowError(_l("For delivery by post, enter the address and the waybill "
                               "number."), 400)
    d.delivery = delivery
    d.returned_at = ctx.now
    ctx.data["delivery"] = delivery
    return None


def extend(ctx: Context):
    d = ctx.dossier
    new_due = ctx.inputs["due_at"]
    if not isinstance(new_due, datetime) or (d.due_at is not None and new_due <= d.due_at):
        raise WorkflowError(_l("The new due date must be later than the current one."), 400)
    ctx.data["old_due_at"] = d.due_at.isoformat() if d.due_at else None
    ctx.data["due_at"] = new_due.isoformat()
    d.due_at = new_due
    ctx.note_public = True  # the reason is printed on the apology slip the applicant gets
    return None


MAX_RATING_COMMENT = 1000


def rate(ctx: Context):
    d = ctx.dossier
    rating = ctx.inputs["rating"]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise WorkflowError(_l("Choose a rating from 1 to 5."), 400)
    comment = ctx.inputs.get("comment") or None
    if comment is not None and len(comment) > MAX_RATING_COMMENT:
        raise WorkflowError(_l("The comment must be at most %(max)d characters.",
                               max=MAX_RATING_COMMENT), 400)
    d.rating = rating
    d.rating_comment = comment
    ctx.data["rating"] = rating
    # The owner online, or the clerk at the counter on the resident's behalf (the actor).
    ctx.data["by"] = "owner" if access.is_owner(ctx.actor, d) else "clerk"
    return None


# --- the notification ----------------------------------------------------------------------


def quotes_reason(notice) -> bool:
    """The action's message to the applicant quotes the reason (a refusal, a supplement request,
    a stop), so its event note is theirs to read as well."""
    if notice is None or notice.office or callable(notice.text) or \
            isinstance(notice.text, Mapping):
        return False
    return "%(reason)s" in str(notice.text)


def send_notice(notice, ctx: Context) -> None:
    """Queue a transition's declared message (workflow.Notice) after its handler ran; the
    caller holds the Vietnamese locale."""
    d = ctx.dossier
    text = notice.text
    if isinstance(text, Mapping):
        text = text[(d.delivery or {}).get("way")]
    params = {
        "code": d.code, "ref": codes.format_ref(d.ref) if d.ref else "", "reason": ctx.note,
        "due": deadlines.due_text(ctx.session, d), "amount": format_money(d.fee),
        "waybill": (d.delivery or {}).get("waybill", ""),
    }
    if "%(answer)s" in str(text):  # where to answer a supplement request
        from district_portal.services.dossiers.uploads import answer_hint

        params["answer"] = answer_hint(d)
    subject = str(notice.subject)
    body = text(d) if callable(text) else str(text) % params
    if not notice.office:
        notifications.notify_applicant(ctx.session, d, subject, body)
        return
    office = {"receiving": d.receiving_office, "handling": d.handling_office,
              "target": ctx.to_office}[notice.office]
    notifications.notify_staff(ctx.session, d, office, subject, body, roles=notice.roles,
                               extra=(d.assignee,) if notice.assignee else ())
