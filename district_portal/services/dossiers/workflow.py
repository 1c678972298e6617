"""THE transition table (DESIGN.md §4): the only code that changes Dossier.status.

Each action checks who acts, from which status and with which inputs, then records a
DossierEvent, queues the notification and applies its clock effect, all in the caller's
transaction. Anything not allowed raises WorkflowError with a Vietnamese message and changes
nothing.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from district_portal import access
from district_portal.models import Dossier, DossierEvent, DossierStatus, Office, User
from district_portal.models.types import utcnow
from district_portal.services import notifications
from district_portal.services.calendar.days import calendar_for
from district_portal.services.errors import ServiceError

S = DossierStatus
OPEN_STATUSES = frozenset({S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED,
                           S.PAYMENT_REQUESTED})
PAUSED_STATUSES = frozenset({S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED})


class Action(enum.StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    REFUSE = "refuse"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    REQUEST_PAYMENT = "request_payment"
    PAY = "pay"
    COMPLETE = "complete"
    RETURN_RESULT = "return_result"
    STOP = "stop"
    EXTEND = "extend"
    WITHDRAW = "withdraw"
    RATE = "rate"


class WorkflowError(ServiceError):
    """An action that is not allowed now; `message` is shown to the user as it is."""

    def __init__(self, message, status: int = 409):
        super().__init__(message, status)


@dataclass(frozen=True)
class Transition:
    frm: frozenset[DossierStatus]
    to: DossierStatus | None  # None: unchanged, or decided by the action (see handlers)
    who: frozenset[str]  # actor kinds from access.actor_kinds, or "system"
    needs: tuple[str, ...] = ()  # inputs that must be present and non-empty
    data: tuple[str, ...] = ()  # the event's declared data fields
    label: object = ""


def _t(frm, to, who, needs=(), data=(), label=""):
    return Transition(frozenset(frm), to, frozenset(who), tuple(needs), tuple(data), label)


TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: _t({S.DRAFT}, S.SUBMITTED, {"owner", "clerk@receiving"},
                      data=("code", "ref", "channel"), label=_l("Submitted")),
    Action.ACCEPT: _t({S.SUBMITTED}, S.ACCEPTED, {"clerk@receiving"},
                      data=("due_at",), label=_l("Accepted")),
    Action.REFUSE: _t({S.SUBMITTED}, S.NOT_ACCEPTED, {"clerk@receiving"}, needs=("reason",),
                      label=_l("Refused")),
    Action.REQUEST_SUPPLEMENT: _t({S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS},
                                  S.SUPPLEMENT_REQUESTED,
                                  {"clerk@receiving", "clerk@handling", "officer@handling"},
                                  needs=("reason",), label=_l("Supplement requested")),
    Action.SUPPLEMENT: _t({S.SUPPLEMENT_REQUESTED}, None, {"owner", "clerk@receiving"},
                          data=("changes",), label=_l("Supplement provided")),
    Action.ASSIGN: _t({S.ACCEPTED, S.IN_PROGRESS}, S.IN_PROGRESS,
                      {"clerk@handling", "leader@handling"}, needs=("officer",),
                      data=("officer",), label=_l("Assigned")),
    Action.TRANSFER: _t({S.ACCEPTED, S.IN_PROGRESS}, S.IN_PROGRESS,
                        {"clerk@handling", "leader@handling"}, needs=("office", "reason"),
                        label=_l("Transferred")),
    Action.REQUEST_PAYMENT: _t({S.ACCEPTED, S.IN_PROGRESS}, S.PAYMENT_REQUESTED,
                               {"clerk@receiving", "clerk@handling", "officer@handling"},
                               needs=("amount",), data=("amount",),
                               label=_l("Payment requested")),
    Action.PAY: _t({S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.PAYMENT_REQUESTED}, None,
                   {"system", "clerk@receiving"}, data=("amount", "payment"), label=_l("Paid")),
    Action.COMPLETE: _t({S.ACCEPTED, S.IN_PROGRESS}, S.DONE, {"leader@handling"},
                        needs=("result",), data=("late", "result"), label=_l("Result issued")),
    Action.RETURN_RESULT: _t({S.DONE}, S.RETURNED, {"clerk@receiving"}, needs=("delivery",),
                             data=("delivery",), label=_l("Result returned")),
    Action.STOP: _t({S.ACCEPTED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED},
                    S.STOPPED, {"leader@receiving", "leader@handling"}, needs=("reason",),
                    label=_l("Stopped")),
    Action.EXTEND: _t({S.ACCEPTED, S.IN_PROGRESS}, None, {"leader@handling"},
                      needs=("due_at", "reason"), data=("old_due_at", "due_at"),
                      label=_l("Deadline extended")),
    Action.WITHDRAW: _t({S.SUBMITTED, S.SUPPLEMENT_REQUESTED}, S.WITHDRAWN, {"owner"},
                        label=_l("Withdrawn by the applicant")),
    Action.RATE: _t({S.RETURNED}, None, {"owner"}, needs=("rating",), data=("rating",),
                    label=_l("Rated")),
}

STATUS_LABELS = {
    S.DRAFT: _l("Draft"),
    S.SUBMITTED: _l("Waiting to be received"),
    S.ACCEPTED: _l("Received"),
    S.NOT_ACCEPTED: _l("Not accepted"),
    S.IN_PROGRESS: _l("Being processed"),
    S.SUPPLEMENT_REQUESTED: _l("Supplement requested"),
    S.PAYMENT_REQUESTED: _l("Waiting for payment"),
    S.WITHDRAWN: _l("Withdrawn"),
    S.STOPPED: _l("Processing stopped"),
    S.DONE: _l("Result ready"),
    S.RETURNED: _l("Result returned"),
}


def allowed_actions(user, dossier: Dossier) -> list[Action]:
    """The actions `user` may take on `dossier` now (for showing only those buttons)."""
    kinds = access.actor_kinds(user, dossier)
    return [a for a, t in TRANSITIONS.items() if dossier.status in t.frm and kinds & t.who]


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


def perform(session: Session, dossier: Dossier, action: Action | str, actor: User | None, *,
            system: bool = False, expected_version: int | None = None,
            now: datetime | None = None, **inputs) -> DossierEvent:
    """Apply `action` to `dossier` as `actor` (or as the system), or raise WorkflowError.

    Guarantees: the status changes only as TRANSITIONS allows; an event with the action's
    declared fields is recorded; notifications are queued in the same transaction; a stale
    `expected_version` (someone acted first) is refused.
    """
    try:
        action = Action(action)
    except ValueError:
        raise WorkflowError(_l("Unknown action."), 404) from None
    transition = TRANSITIONS[action]
    if expected_version is not None and expected_version != dossier.version:
        raise WorkflowError(_l("Someone else has just changed this dossier. Reload the page to "
                               "see its current state, then try again."))
    kinds = {"system"} if system else access.actor_kinds(actor, dossier)
    if not kinds & transition.who:
        raise WorkflowError(_l("You may not take this action on this dossier."), 403)
    if dossier.status not in transition.frm:
        raise WorkflowError(_l("This action is not possible while the dossier is “%(status)s”.",
                               status=STATUS_LABELS[dossier.status]))
    for name in transition.needs:
        value = inputs.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise WorkflowError(_NEEDS_MESSAGES.get(name, _l("Some information is missing.")),
                                400)
    ctx = Context(session, dossier, actor, now or utcnow(), inputs,
                  note=inputs.get("reason") or inputs.get("note"))
    from_status = dossier.status
    with force_locale("vi"):  # what residents are sent is Vietnamese, whoever acts
        to_status = HANDLERS[action](ctx)
    if to_status is None:
        to_status = transition.to or from_status
    dossier.status = to_status
    dossier.updated_at = ctx.now
    return _record(session, dossier, action, transition, ctx, from_status, to_status)


_NEEDS_MESSAGES = {
    "reason": _l("Write the reason."),
    "officer": _l("Choose an officer."),
    "office": _l("Choose the office."),
    "amount": _l("Enter the amount."),
    "result": _l("Attach or generate the result first."),
    "delivery": _l("Choose how the result was delivered."),
    "due_at": _l("Enter the new due date."),
    "rating": _l("Choose a rating from 1 to 5."),
}


def _record(session, dossier, action, transition, ctx, from_status, to_status) -> DossierEvent:
    if set(ctx.data) != set(transition.data):
        raise ValueError(f"event {action} needs data {sorted(transition.data)}, "
                         f"got {sorted(ctx.data)}")
    event = DossierEvent(
        dossier=dossier, at=ctx.now, actor_id=ctx.actor.id if ctx.actor else None,
        action=str(action), from_status=str(from_status), to_status=str(to_status),
        from_office_id=(ctx.from_office or dossier.handling_office).id
        if (ctx.from_office or dossier.handling_office) else None,
        to_office_id=ctx.to_office.id if ctx.to_office else None,
        note=ctx.note, data=ctx.data,
    )
    session.add(event)
    session.flush()
    return event


# --- clock helpers -------------------------------------------------------------------------


def _calendar(ctx: Context):
    return calendar_for(ctx.session, ctx.dossier.handling_office or ctx.dossier.receiving_office)


def _pause(ctx: Context, resume_to: DossierStatus) -> None:
    d = ctx.dossier
    d.resume_status = str(resume_to)
    d.paused_at = ctx.now
    cal = _calendar(ctx)
    deadline = d.due_at if d.due_at is not None else d.intake_due_at
    # Already past the deadline: keep it as it is, so the pause cannot erase the lateness
    # (remaining_seconds stays empty and _resume leaves the due time alone).
    d.remaining_seconds = None
    if deadline is not None and ctx.now < deadline:
        d.remaining_seconds = int(cal.working_time_between(ctx.now, deadline).total_seconds())


def _resume(ctx: Context) -> DossierStatus:
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


# --- handlers: each returns the new status, or None for the table's `to` ----------------------


def _submit(ctx: Context):
    from district_portal.services.dossiers import filing

    filing.prepare_submission(ctx)
    return None


def _accept(ctx: Context):
    d = ctx.dossier
    limit = d.procedure_version.data["processing_time"]
    cal = _calendar(ctx)
    d.accepted_at = ctx.now
    d.due_at = cal.due_at(ctx.now, limit["amount"], limit["unit"])
    ctx.data["due_at"] = d.due_at.isoformat()
    notifications.notify_applicant(
        ctx.session, d, str(_l("Dossier received")),
        str(_l("Your dossier %(code)s has been received. Due: %(due)s.", code=d.code,
               due=_fmt(d.due_at))))
    if d.fee and d.payment_state != "paid":
        # Unpaid fee: the processing clock waits for the payment.
        _pause(ctx, S.ACCEPTED)
        notifications.notify_applicant(ctx.session, d, str(_l("Payment requested")),
                                       _payment_request_text(d))
        return S.PAYMENT_REQUESTED
    return None


def _refuse(ctx: Context):
    ctx.dossier.completed_at = ctx.now
    notifications.notify_applicant(
        ctx.session, ctx.dossier, str(_l("Dossier not accepted")),
        str(_l("Your dossier %(code)s was not accepted: %(reason)s", code=ctx.dossier.code,
               reason=ctx.note)))
    return None


def _request_supplement(ctx: Context):
    _pause(ctx, ctx.dossier.status)
    notifications.notify_applicant(
        ctx.session, ctx.dossier, str(_l("Supplement requested")),
        str(_l("Dossier %(code)s needs more: %(reason)s", code=ctx.dossier.code,
               reason=ctx.note)))
    return None


def _supplement(ctx: Context):
    changes = ctx.inputs.get("changes") or []
    if not changes:
        raise WorkflowError(_l("Change an answer or add a document before sending the "
                               "supplement."), 400)
    ctx.data["changes"] = list(changes)
    d = ctx.dossier
    notifications.notify_staff(
        ctx.session, d, d.handling_office, str(_l("Supplement received")),
        str(_l("Dossier %(code)s: the applicant sent the supplement.", code=d.code)),
        roles=("clerk",), extra=(d.assignee,))
    return _resume(ctx)


def _assign(ctx: Context):
    officer = ctx.inputs["officer"]
    d = ctx.dossier
    if not isinstance(officer, User) or not officer.has_role("officer") or \
            officer.office_id != d.handling_office_id or not officer.active:
        raise WorkflowError(_l("Choose an officer of the handling office."), 400)
    d.assignee_id = officer.id
    ctx.data["officer"] = officer.public_id
    ctx.to_office = d.handling_office
    notifications.notify_staff(
        ctx.session, d, d.handling_office, str(_l("Dossier assigned to you")),
        str(_l("Dossier %(code)s was assigned to you.", code=d.code)), roles=(),
        extra=(officer,))
    return None


def _transfer(ctx: Context):
    target = ctx.inputs["office"]
    d = ctx.dossier
    if not isinstance(target, Office) or not target.active or target.id == d.handling_office_id:
        raise WorkflowError(_l("Choose another, active office."), 400)
    ctx.from_office = d.handling_office
    ctx.to_office = target
    d.handling_office_id = target.id
    d.handling_office = target
    d.assignee_id = None
    notifications.notify_staff(
        ctx.session, d, target, str(_l("Dossier transferred to your office")),
        str(_l("Dossier %(code)s was transferred to your office: %(reason)s", code=d.code,
               reason=ctx.note)))
    return None


def _request_payment(ctx: Context):
    amount = ctx.inputs["amount"]
    if not isinstance(amount, int) or amount <= 0:
        raise WorkflowError(_l("Enter an amount in đồng greater than zero."), 400)
    d = ctx.dossier
    d.fee = amount
    d.payment_state = "pending"
    ctx.data["amount"] = amount
    _pause(ctx, d.status)
    notifications.notify_applicant(ctx.session, d, str(_l("Payment requested")),
                                   _payment_request_text(d))
    return None


def _payment_request_text(d: Dossier) -> str:
    from district_portal.services.payments.attempts import payment_request_text

    return payment_request_text(d)


def _pay(ctx: Context):
    d = ctx.dossier
    payment = ctx.inputs.get("payment")
    if d.payment_state == "paid":
        # A repeated confirmation (or a forged desk form) must not record a second payment.
        raise WorkflowError(_l("The fee of this dossier is already paid."))
    d.payment_state = "paid"
    ctx.data["amount"] = d.fee
    ctx.data["payment"] = payment
    if d.status == S.PAYMENT_REQUESTED:
        return _resume(ctx)
    return d.status


def _complete(ctx: Context):
    d = ctx.dossier
    d.completed_at = ctx.now
    late = d.due_at is not None and ctx.now > d.due_at
    d.result = dict(ctx.inputs["result"])
    d.verification_token = d.verification_token or secrets.token_urlsafe(16)
    ctx.data["late"] = late
    ctx.data["result"] = {k: v for k, v in d.result.items() if k in ("sha256", "kind")}
    notifications.notify_applicant(
        ctx.session, d, str(_l("Result ready")),
        str(_l("The result of dossier %(code)s is ready.", code=d.code)))
    return None


def _return_result(ctx: Context):
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
    texts = {
        "online": _l("The result of dossier %(code)s has been returned to you online.",
                     code=d.code),
        "pickup": _l("The result of dossier %(code)s has been handed to you at the desk.",
                     code=d.code),
        "post": _l("The result of dossier %(code)s has been sent by post, waybill "
                   "%(waybill)s.", code=d.code, waybill=delivery.get("waybill", "")),
    }
    notifications.notify_applicant(ctx.session, d, str(_l("Result returned")),
                                   str(texts[delivery["way"]]))
    return None


def _stop_clock(ctx: Context) -> None:
    """A final status: the clock stops, and a pause in progress ends with it."""
    d = ctx.dossier
    d.completed_at = ctx.now
    d.paused_at = None
    d.remaining_seconds = None
    d.resume_status = None


def _stop(ctx: Context):
    d = ctx.dossier
    _stop_clock(ctx)
    notifications.notify_applicant(
        ctx.session, d, str(_l("Processing stopped")),
        str(_l("Processing of dossier %(code)s was stopped: %(reason)s", code=d.code,
               reason=ctx.note)))
    return None


def _extend(ctx: Context):
    d = ctx.dossier
    new_due = ctx.inputs["due_at"]
    if not isinstance(new_due, datetime) or (d.due_at is not None and new_due <= d.due_at):
        raise WorkflowError(_l("The new due date must be later than the current one."), 400)
    ctx.data["old_due_at"] = d.due_at.isoformat() if d.due_at else None
    ctx.data["due_at"] = new_due.isoformat()
    d.due_at = new_due
    notifications.notify_applicant(
        ctx.session, d, str(_l("New due date")),
        str(_l("We apologise: dossier %(code)s will be ready by %(due)s.", code=d.code,
               due=_fmt(new_due))))
    return None


def _withdraw(ctx: Context):
    _stop_clock(ctx)
    d = ctx.dossier
    notifications.notify_staff(
        ctx.session, d, d.receiving_office, str(_l("Dossier withdrawn")),
        str(_l("Dossier %(code)s was withdrawn by the applicant.", code=d.code)),
        roles=("clerk",), extra=(d.assignee,))
    return None


def _rate(ctx: Context):
    d = ctx.dossier
    rating = ctx.inputs["rating"]
    if d.rating is not None:
        raise WorkflowError(_l("You have already rated this dossier."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise WorkflowError(_l("Choose a rating from 1 to 5."), 400)
    d.rating = rating
    d.rating_comment = (ctx.inputs.get("comment") or None)
    ctx.data["rating"] = rating
    return None


def _fmt(dt: datetime | None) -> str:
    from district_portal.text import format_datetime

    return format_datetime(dt)


HANDLERS = {
    Action.SUBMIT: _submit,
    Action.ACCEPT: _accept,
    Action.REFUSE: _refuse,
    Action.REQUEST_SUPPLEMENT: _request_supplement,
    Action.SUPPLEMENT: _supplement,
    Action.ASSIGN: _assign,
    Action.TRANSFER: _transfer,
    Action.REQUEST_PAYMENT: _request_payment,
    Action.PAY: _pay,
    Action.COMPLETE: _complete,
    Action.RETURN_RESULT: _return_result,
    Action.STOP: _stop,
    Action.EXTEND: _extend,
    Action.WITHDRAW: _withdraw,
    Action.RATE: _rate,
}
