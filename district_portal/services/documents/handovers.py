"""Form 05, the control slip (phiếu kiểm soát quá trình giải quyết hồ sơ): each hand-over of
the dossier, with a place for the person handing over and the person receiving to sign.

The paper travels with the dossier: it is printed at acceptance and signed at each hand-over.
So besides the hand-overs the event log already records (desk → handling office, assignment
to an officer, transfer, supplement requests, the leader's issue, the return), the slip lists
the standard steps still to come — officer → leader (the result submitted for signature),
leader → desk (the issued result), desk → applicant (the return) — with the time left blank
to be written by hand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import object_session

from district_portal.models import Dossier, DossierEvent, Office, User
from district_portal.services.documents.slip_models import (
    ACTION_VI,
    BEFORE,
    LATE,
    ON_TIME,
    ControlRow,
    SlipError,
)
from district_portal.services.dossiers.workflow import ENDED_WITHOUT_RESULT
from district_portal.text import format_datetime, to_local

__all__ = ["BLANK_TIME", "control_rows", "timeliness"]

DESK_NAME = "Bộ phận tiếp nhận và trả kết quả"
BLANK_TIME = "… giờ … phút, ngày …/…/……"
SUBMIT_FOR_SIGNATURE = "Trình ký kết quả"
# Events that move the dossier from one person or office to another.
HAND_OVERS = ("accept", "assign", "transfer", "request_supplement", "supplement", "complete",
              "return_result", "stop", "withdraw")


def timeliness(at: datetime | None, deadline: datetime | None) -> str:
    """Before, on or after the deadline (on time = the deadline's local day, not after it)."""
    if at is None or deadline is None:
        return ""
    if at > deadline:
        return LATE
    return ON_TIME if to_local(at).date() == to_local(deadline).date() else BEFORE


def _who(user: User | None, office: Office | None, role: str = "",
         dossier: Dossier | None = None) -> str:
    """The person (or, before anyone is known, their role), with their office when it is
    not one the slip already names (the receiving and the handling office)."""
    person = user.full_name if user else role
    known = (dossier.receiving_office, dossier.handling_office) if dossier else ()
    shown = office.name if office is not None and office not in known else ""
    return " — ".join(p for p in (person, shown) if p)


def _officer(dossier: Dossier, event: DossierEvent) -> User | None:
    public_id = (event.data or {}).get("officer")
    if not public_id:
        return None
    return object_session(dossier).scalar(select(User).where(User.public_id == public_id))


def _sides(dossier: Dossier, event: DossierEvent) -> tuple[str, str]:
    """(who hands over, who receives) for one hand-over event."""
    applicant = (dossier.applicant or {}).get("name", "")
    receiving, handling = dossier.receiving_office, dossier.handling_office or \
        dossier.receiving_office
    giver_office = event.from_office or receiving
    match event.action:
        case "accept":
            return _who(event.actor, receiving, dossier=dossier), handling.name if handling else ""
        case "assign":
            return (_who(event.actor, giver_office, dossier=dossier),
                    _who(_officer(dossier, event), handling, "Chuyên viên xử lý", dossier))
        case "transfer":
            return _who(event.actor, giver_office), _who(None, event.to_office)
        case "request_supplement" | "stop":
            return _who(event.actor, giver_office, dossier=dossier), applicant
        case "supplement" | "withdraw":
            return applicant, DESK_NAME
        case "complete":
            return _who(event.actor, handling, dossier=dossier), DESK_NAME
        case "return_result":
            return _who(event.actor, receiving, dossier=dossier), applicant
    return _who(event.actor, giver_office, dossier=dossier), _who(None, event.to_office)


def _event_row(dossier: Dossier, event: DossierEvent) -> dict:
    data = event.data or {}
    deadline = dossier.intake_due_at if event.from_status == "submitted" else dossier.due_at
    if event.action == "complete" and "late" in data:
        late = LATE if data["late"] else timeliness(event.at, dossier.due_at) or ON_TIME
    else:
        late = timeliness(event.at, deadline)
    giver, receiver = _sides(dossier, event)
    return dict(step=ACTION_VI.get(event.action, event.action), giver=giver, receiver=receiver,
                at=format_datetime(event.at), sort=event.at, timeliness=late,
                note=event.note or "")


def _prepared_row(dossier: Dossier) -> dict | None:
    """Officer → leader: the result submitted for signature (the first prepared result)."""
    prepared = [a for a in dossier.attachments if a.kind == "result"]
    if not prepared:
        return None
    first = prepared[0]
    handling = dossier.handling_office or dossier.receiving_office
    return dict(step=SUBMIT_FOR_SIGNATURE, giver=_uploader(dossier, first.uploader_id, handling),
                receiver="Lãnh đạo", at=format_datetime(first.created_at),
                sort=first.created_at, timeliness=timeliness(first.created_at, dossier.due_at),
                note="")


def _uploader(dossier: Dossier, user_id: int | None, office: Office | None) -> str:
    user = object_session(dossier).get(User, user_id) if user_id else None
    return _who(user, office, "Chuyên viên xử lý", dossier)


def _pending_rows(dossier: Dossier, done: set[str]) -> list[dict]:
    """The standard hand-overs still to come, to be filled in and signed by hand."""
    if dossier.status in ENDED_WITHOUT_RESULT:
        return []
    handling = dossier.handling_office or dossier.receiving_office
    desk, leader = DESK_NAME, "Lãnh đạo"
    officer = _who(dossier.assignee, handling, "Chuyên viên xử lý", dossier)
    applicant = (dossier.applicant or {}).get("name", "") or "Người nộp hồ sơ"
    steps = (("assign", ACTION_VI["assign"], desk, officer),
             ("prepared", SUBMIT_FOR_SIGNATURE, officer, leader),
             ("complete", ACTION_VI["complete"], leader, desk),
             ("return_result", ACTION_VI["return_result"], desk, applicant))
    # a step counts as passed once it, or any step after it, has happened
    passed = max((i for i, step in enumerate(steps) if step[0] in done), default=-1)
    return [dict(step=step, giver=giver, receiver=receiver, at=BLANK_TIME, sort=None,
                 timeliness="", note="")
            for key, step, giver, receiver in steps[passed + 1:]]


def control_rows(dossier: Dossier) -> tuple[ControlRow, ...]:
    """Every hand-over so far in time order, then the standard ones still to come."""
    if not dossier.code:
        raise SlipError("Hồ sơ chưa được nộp.")
    events = [e for e in dossier.events if e.action in HAND_OVERS]
    rows = [_event_row(dossier, e) for e in events]
    done = {e.action for e in events}
    prepared = _prepared_row(dossier)
    if prepared is not None:
        rows.append(prepared)
        done.add("prepared")
    rows.sort(key=lambda r: r["sort"])
    rows += _pending_rows(dossier, done)
    return tuple(ControlRow(number=i, **{k: v for k, v in r.items() if k != "sort"})
                 for i, r in enumerate(rows, start=1))
