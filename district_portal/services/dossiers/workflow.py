"""THE transition table (DESIGN.md §4): the only code that changes Dossier.status.

Each transition declares who may act, from which statuses, the guards that must hold on the
dossier (has a fee, not yet paid, not yet rated, a result prepared), the inputs it needs, its
effect on the clock and the notification it sends. `perform` checks all of that, runs the
action's handler (handlers.py), records a DossierEvent and queues the notification, all in the
caller's transaction. Anything not allowed raises WorkflowError with a Vietnamese message and
changes nothing.

Every status set the rest of the code needs (open, paused, closed, with a result, being
processed) is derived from the table below, never written again elsewhere; `available_actions`
tells views and templates what a user may do on a dossier now.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from district_portal import access
from district_portal.models import Action, Dossier, DossierEvent, DossierStatus, User
from district_portal.models.types import utcnow
from district_portal.services.api import webhooks
from district_portal.services.dossiers import handlers
from district_portal.services.dossiers.handlers import Context, WorkflowError
from district_portal.services.errors import CHANGED_MEANWHILE

S = DossierStatus
__all__ = [
    "Action", "TRANSITIONS", "STATUS_LABELS", "WorkflowError", "perform", "allowed_actions",
    "available_actions", "can", "statuses_from", "OPEN_STATUSES", "PAUSED_STATUSES",
    "CLOSED_STATUSES", "RESULT_STATUSES", "PROCESSING_STATUSES", "ENDED_WITHOUT_RESULT",
]


class Clock(enum.Enum):
    STARTS = "starts"  # intake (submit) or processing (accept) clock starts
    PAUSES = "pauses"  # the remaining time is kept until the applicant acts
    RESUMES = "resumes"  # back to the status it paused from, due time moved by the pause
    STOPS = "stops"  # a final status: completed_at, no pause left


@dataclass(frozen=True)
class Guard:
    """A condition on the dossier that must hold for the action; `message` says why not."""

    test: Callable[[Dossier], bool]
    message: object
    status: int = 409


def _has_fee(d: Dossier) -> bool:
    return (d.fee or 0) > 0


# A prepared result is an attachment of this kind (documents/issuing.py makes them).
RESULT_ATTACHMENT_KIND = "result"

HAS_FEE_TO_PAY = Guard(_has_fee, _l("This dossier has no fee: there is nothing to pay."))
HAS_FEE_TO_REQUEST = Guard(_has_fee, _l("This procedure has no fee: no payment can be "
                                        "requested."))
NOT_PAID = Guard(lambda d: d.payment_state != "paid",
                 _l("The fee of this dossier is already paid."))
NOT_RATED = Guard(lambda d: d.rating is None, _l("You have already rated this dossier."))
RESULT_PREPARED = Guard(
    lambda d: any(a.kind == RESULT_ATTACHMENT_KIND for a in d.attachments),
    _l("Attach or generate the result first."), 400)


@dataclass(frozen=True)
class Notice:
    """The message an action sends, after its handler: to the applicant (SMS and email), or by
    email to the active staff of an office who hold one of `roles`, plus the assignee.

    `text` is formatted with code, ref, reason, due, amount and waybill; a mapping picks the
    text by the delivery way; a function of the dossier writes it whole."""

    subject: object
    text: object | Mapping[str, object]
    office: str = ""  # "" = the applicant; else "receiving", "handling" or "target"
    roles: tuple[str, ...] = ("clerk", "leader")
    assignee: bool = False


@dataclass(frozen=True)
class Transition:
    frm: frozenset[DossierStatus]
    to: DossierStatus | None  # None: unchanged (or back to where it paused, see Clock)
    who: frozenset[str]  # actor kinds from access.actor_kinds, or "system"
    handler: Callable | None = None
    needs: tuple[str, ...] = ()  # inputs that must be present and non-empty
    data: tuple[str, ...] = ()  # the event's declared data fields
    label: object = ""
    guards: tuple[Guard, ...] = ()
    clock: Clock | None = None
    notice: Notice | None = None
    # When this holds after the action, the applicant is also told how to pay (PAYMENT_NOTICE).
    payment_notice: Callable[[Dossier], bool] | None = None


def _t(frm: Iterable, to, who: Iterable, **kw) -> Transition:
    kw = {k: tuple(v) if k in ("needs", "data", "guards") else v for k, v in kw.items()}
    return Transition(frozenset(frm), to, frozenset(who), **kw)


RECEIVING_CLERK = "clerk@receiving"


def _payment_request_text(d: Dossier) -> str:
    from district_portal.services.payments.attempts import payment_request_text

    return payment_request_text(d)


# How much, and the short link to pay online: sent when a fee is requested, and when a
# dossier is filed online or accepted with its fee still unpaid.
PAYMENT_NOTICE = Notice(_l("Payment requested"), _payment_request_text)
PROCESSING = {S.ACCEPTED, S.IN_PROGRESS}
PAUSABLE = {S.SUBMITTED, *PROCESSING}

TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: _t(
        {S.DRAFT}, S.SUBMITTED, {"owner", RECEIVING_CLERK}, handler=handlers.submit,
        data=("code", "ref", "channel"), label=_l("Submitted"), clock=Clock.STARTS,
        notice=Notice(_l("Dossier filed"),
                      _l("Dossier %(code)s was filed. Tracking code: %(ref)s.")),
        payment_notice=lambda d: bool(d.fee) and d.payment_state != "paid"
        and d.channel == "online"),
    Action.ACCEPT: _t(
        {S.SUBMITTED}, S.ACCEPTED, {RECEIVING_CLERK}, handler=handlers.accept,
        data=("due_at",), label=_l("Accepted"), clock=Clock.STARTS,
        notice=Notice(_l("Dossier received"),
                      _l("Your dossier %(code)s has been received. Due: %(due)s.")),
        payment_notice=lambda d: d.status == S.PAYMENT_REQUESTED),
    Action.REFUSE: _t(
        {S.SUBMITTED}, S.NOT_ACCEPTED, {RECEIVING_CLERK}, needs=("reason",),
        label=_l("Refused"), clock=Clock.STOPS,
        notice=Notice(_l("Dossier not accepted"),
                          _l("Your dossier %(code)s was not accepted: %(reason)s"))),
    Action.REQUEST_SUPPLEMENT: _t(
        PAUSABLE, S.SUPPLEMENT_REQUESTED,
        {RECEIVING_CLERK, "clerk@handling", "officer@handling"}, needs=("reason",),
        label=_l("Supplement requested"), clock=Clock.PAUSES,
        notice=Notice(_l("Supplement requested"),
                          # The link first: a long reason is cut to fit one SMS.
                          _l("Dossier %(code)s needs more. %(answer)s - What is needed: "
                             "%(reason)s"))),
    Action.SUPPLEMENT: _t(
        {S.SUPPLEMENT_REQUESTED}, None, {"owner", RECEIVING_CLERK},
        handler=handlers.supplement, data=("changes",), label=_l("Supplement provided"),
        clock=Clock.RESUMES,
        notice=Notice(_l("Supplement received"),
                      _l("Dossier %(code)s: the applicant sent the supplement."),
                      office="handling", roles=("clerk",), assignee=True)),
    Action.ASSIGN: _t(
        PROCESSING, S.IN_PROGRESS, {"clerk@handling", "leader@handling"},
        handler=handlers.assign, needs=("officer",), data=("officer",), label=_l("Assigned"),
        notice=Notice(_l("Dossier assigned to you"),
                      _l("Dossier %(code)s was assigned to you."),
                      office="handling", roles=(), assignee=True)),
    Action.TRANSFER: _t(
        PROCESSING, S.IN_PROGRESS, {"clerk@handling", "leader@handling"},
        handler=handlers.transfer, needs=("office", "reason"), label=_l("Transferred"),
        notice=Notice(_l("Dossier transferred to your office"),
                      _l("Dossier %(code)s was transferred to your office: %(reason)s"),
                      office="target")),
    Action.REQUEST_PAYMENT: _t(
        PROCESSING, S.PAYMENT_REQUESTED,
        {RECEIVING_CLERK, "clerk@handling", "officer@handling"},
        handler=handlers.request_payment, needs=("amount",), data=("amount",),
        label=_l("Payment requested"), guards=(HAS_FEE_TO_REQUEST,), clock=Clock.PAUSES,
        notice=PAYMENT_NOTICE),
    Action.PAY: _t(
        {*PAUSABLE, S.PAYMENT_REQUESTED}, None, {"system", RECEIVING_CLERK},
        handler=handlers.pay, data=("amount", "payment"), label=_l("Paid"),
        guards=(HAS_FEE_TO_PAY, NOT_PAID), clock=Clock.RESUMES),
    Action.COMPLETE: _t(
        PROCESSING, S.DONE, {"leader@handling"}, handler=handlers.complete,
        needs=("result",), data=("late", "result"), label=_l("Result issued"),
        guards=(RESULT_PREPARED,), clock=Clock.STOPS,
        notice=Notice(_l("Result ready"), _l("The result of dossier %(code)s is ready."))),
    Action.RETURN_RESULT: _t(
        {S.DONE}, S.RETURNED, {RECEIVING_CLERK}, handler=handlers.return_result,
        needs=("delivery",), data=("delivery",), label=_l("Result returned"),
        notice=Notice(_l("Result returned"), {
            "online": _l("The result of dossier %(code)s has been returned to you online."),
            "pickup": _l("The result of dossier %(code)s has been handed to you at the desk."),
            "post": _l("The result of dossier %(code)s has been sent by post, waybill "
                       "%(waybill)s."),
        })),
    Action.STOP: _t(
        {*PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED}, S.STOPPED,
        {"leader@receiving", "leader@handling"}, needs=("reason",), label=_l("Stopped"),
        clock=Clock.STOPS,
        notice=Notice(_l("Processing stopped"),
                          _l("Processing of dossier %(code)s was stopped: %(reason)s"))),
    Action.EXTEND: _t(
        PROCESSING, None, {"leader@handling"}, handler=handlers.extend,
        needs=("due_at", "reason"), data=("old_due_at", "due_at"),
        label=_l("Deadline extended"),
        notice=Notice(_l("New due date"),
                          _l("We apologise: dossier %(code)s will be ready by %(due)s."))),
    Action.WITHDRAW: _t(
        {S.SUBMITTED, S.SUPPLEMENT_REQUESTED}, S.WITHDRAWN, {"owner"},
        label=_l("Withdrawn by the applicant"), clock=Clock.STOPS,
        notice=Notice(_l("Dossier withdrawn"),
                      _l("Dossier %(code)s was withdrawn by the applicant."),
                      office="receiving", roles=("clerk",), assignee=True)),
    Action.RATE: _t(
        {S.RETURNED}, None, {"owner", RECEIVING_CLERK}, handler=handlers.rate,
        needs=("rating",), data=("rating", "by"), label=_l("Rated"), guards=(NOT_RATED,)),
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


# --- status sets, all derived from the table ------------------------------------------------


def statuses_from(*actions: Action) -> frozenset[DossierStatus]:
    """The statuses from which one of `actions` is possible (before guards and roles)."""
    return frozenset().union(*(TRANSITIONS[a].frm for a in actions))


def _targets(t: Transition) -> set[DossierStatus]:
    if t.to is not None:
        return {t.to}
    return set(t.frm)  # unchanged; a resume goes back to a status that could pause


def _reachable(start: Iterable[DossierStatus]) -> frozenset[DossierStatus]:
    """`start` and every status the table can lead to from there."""
    seen = set(start)
    frontier = list(seen)
    while frontier:
        status = frontier.pop()
        for t in TRANSITIONS.values():
            if status in t.frm:
                new = _targets(t) - seen
                seen |= new
                frontier.extend(new)
    return frozenset(seen)


def _ordered(statuses: Iterable[DossierStatus]) -> tuple[DossierStatus, ...]:
    chosen = set(statuses)
    return tuple(s for s in DossierStatus if s in chosen)


# Waiting for the applicant: the targets of the actions that pause the clock.
PAUSED_STATUSES = frozenset(t.to for t in TRANSITIONS.values() if t.clock is Clock.PAUSES)
# Final: where the clock-stopping actions lead, and anything after them (done → returned).
CLOSED_STATUSES = _reachable(t.to for t in TRANSITIONS.values() if t.clock is Clock.STOPS)
# Filed and not yet final: the clock runs or is paused.
OPEN_STATUSES = _reachable({TRANSITIONS[Action.SUBMIT].to}) - CLOSED_STATUSES
# A result exists: `complete`'s target and what follows it.
RESULT_STATUSES = _reachable({TRANSITIONS[Action.COMPLETE].to})
ENDED_WITHOUT_RESULT = CLOSED_STATUSES - RESULT_STATUSES
# The handling office works on it: the statuses from which a result can be issued.
PROCESSING_STATUSES = _ordered(statuses_from(Action.COMPLETE))


# --- who may do what now -------------------------------------------------------------------


def _refusal(action: Action, kinds: set[str], dossier: Dossier) -> WorkflowError | None:
    """Why `action` is not possible for an actor of `kinds` now, or None."""
    t = TRANSITIONS[action]
    if not kinds & t.who:
        return WorkflowError(_l("You may not take this action on this dossier."), 403)
    if dossier.status not in t.frm:
        return WorkflowError(_l("This action is not possible while the dossier is "
                                "“%(status)s”.", status=STATUS_LABELS[dossier.status]))
    for guard in t.guards:
        if not guard.test(dossier):
            return WorkflowError(guard.message, guard.status)
    return None


def available_actions(user, dossier: Dossier, *, system: bool = False) -> list[Action]:
    """The actions `user` (or the system) may take on `dossier` now: role, status and guards.

    Views show exactly these buttons; access.py asks here for the applicant's actions."""
    kinds = {"system"} if system else access.actor_kinds(user, dossier)
    return [a for a in TRANSITIONS if _refusal(a, kinds, dossier) is None]


# The older name: the same question.
allowed_actions = available_actions


def can(user, dossier: Dossier, action: Action) -> bool:
    """May `user` take `action` on `dossier` now?"""
    return _refusal(Action(action), access.actor_kinds(user, dossier), dossier) is None


# --- performing an action ------------------------------------------------------------------


def perform(session: Session, dossier: Dossier, action: Action | str, actor: User | None, *,
            system: bool = False, expected_version: int | None = None,
            now: datetime | None = None, **inputs) -> DossierEvent:
    """Apply `action` to `dossier` as `actor` (or as the system), or raise WorkflowError.

    Guarantees: the status changes only as TRANSITIONS allows, and only when the transition's
    guards hold; an event with the action's declared fields is recorded; the declared
    notification is queued in the same transaction; a stale `expected_version` (someone acted
    first) is refused.
    """
    try:
        action = Action(action)
    except ValueError:
        raise WorkflowError(_l("Unknown action."), 404) from None
    transition = TRANSITIONS[action]
    if expected_version is not None and expected_version != dossier.version:
        raise WorkflowError(CHANGED_MEANWHILE)
    kinds = {"system"} if system else access.actor_kinds(actor, dossier)
    refusal = _refusal(action, kinds, dossier)
    if refusal is not None:
        raise refusal
    for name in transition.needs:
        value = inputs.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise WorkflowError(_NEEDS_MESSAGES.get(name, _l("Some information is missing.")),
                                400)
    ctx = Context(session, dossier, actor, now or utcnow(), inputs,
                  note=inputs.get("reason") or inputs.get("note"))
    from_status = dossier.status
    with force_locale("vi"):  # what residents are sent is Vietnamese, whoever acts
        decided = transition.handler(ctx) if transition.handler else None
        resumed = _apply_clock(transition.clock, ctx, from_status)
        to_status = decided or resumed or transition.to or from_status
        dossier.status = to_status
        dossier.updated_at = ctx.now
        event = _record(session, dossier, action, transition, ctx, from_status, to_status)
        if transition.notice is not None:
            handlers.send_notice(transition.notice, ctx)
        if transition.payment_notice is not None and transition.payment_notice(dossier):
            handlers.send_notice(PAYMENT_NOTICE, ctx)
    return event


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


def _apply_clock(clock: Clock | None, ctx: Context, from_status) -> DossierStatus | None:
    """The table's clock effect; returns the status to resume to, if the dossier resumes."""
    if clock is Clock.PAUSES:
        handlers.pause(ctx, from_status)
    elif clock is Clock.STOPS:
        handlers.stop_clock(ctx)
    elif clock is Clock.RESUMES and from_status in PAUSED_STATUSES:
        return handlers.resume(ctx)
    return None


def _record(session, dossier, action, transition, ctx, from_status, to_status) -> DossierEvent:
    if set(ctx.data) != set(transition.data):
        raise ValueError(f"event {action} needs data {sorted(transition.data)}, "
                         f"got {sorted(ctx.data)}")
    from_office = ctx.from_office or dossier.handling_office
    event = DossierEvent(
        dossier=dossier, at=ctx.now, actor_id=ctx.actor.id if ctx.actor else None,
        action=str(action), from_status=str(from_status), to_status=str(to_status),
        from_office_id=from_office.id if from_office else None,
        to_office_id=ctx.to_office.id if ctx.to_office else None,
        note=ctx.note, note_public=ctx.note_public or handlers.quotes_reason(transition.notice),
        data=ctx.data,
    )
    session.add(event)
    session.flush()
    webhooks.queue_event(session, event)
    return event
