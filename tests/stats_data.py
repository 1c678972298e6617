"""A known dataset for the statistics, built through the real filing services and the
workflow with controlled times (March 2026, Hà Nội time), and the figures it must give."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update

from district_portal.models import Dossier, Office, ProcedureLevelChange
from district_portal.services.dossiers import filing
from district_portal.services.dossiers.workflow import perform
from district_portal.text import LOCAL_TZ
from tests.factories import (
    MARITAL,
    MARRIAGE,
    OFFICE,
    OTHER_OFFICE,
    add_prepared_result,
    fill,
    procedure,
    staff,
    user,
)
from tests.factories import _procedure_answers as procedure_answers
from tests.factories import staff_applicant_answers as applicant_answers

# Friday 20 March 2026, 10:00 in Hà Nội: the "as of" time of the dataset.
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=LOCAL_TZ)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


class Builder:
    """Files and moves dossiers as the demo accounts of UBND phường Hòa Bình."""

    def __init__(self, session):
        self.s = session
        self.resident = user(session, "resident@demo.test")
        self.clerk = user(session, "clerk@demo.test")
        self.leader = user(session, "leader@demo.test")
        self.officer = user(session, "officer@demo.test")

    def file(self, when: datetime, code: str = MARRIAGE, office: str = OFFICE) -> Dossier:
        proc = procedure(self.s, code)
        draft = filing.start_draft(self.s, self.resident, proc)
        form = fill(self.s, draft, {**applicant_answers(office=office),
                                    **procedure_answers(proc)})
        assert form.validate(), form.errors
        perform(self.s, draft, "submit", self.resident, nonce=secrets.token_hex(8), now=when)
        return draft

    def file_at_counter(self, when: datetime, code: str = MARRIAGE) -> Dossier:
        proc = procedure(self.s, code)
        draft = filing.start_counter_draft(self.s, self.clerk, proc)
        form = fill(self.s, draft, {**applicant_answers(), **procedure_answers(proc)})
        assert form.validate(), form.errors
        perform(self.s, draft, "submit", self.clerk, nonce=secrets.token_hex(8), now=when)
        return draft

    def do(self, dossier: Dossier, action: str, when: datetime, actor=None, **inputs):
        if action == "pay" and actor is None:  # confirmed by the payment provider
            perform(self.s, dossier, action, None, system=True, now=when, **inputs)
            return dossier
        actor = actor if actor is not None else {
            "accept": self.clerk, "refuse": self.clerk, "request_supplement": self.clerk,
            "assign": self.clerk, "transfer": self.clerk, "complete": self.leader,
            "return_result": self.clerk, "extend": self.leader, "supplement": self.resident,
            "rate": self.resident,
        }[action]
        defaults = {
            "refuse": {"reason": "Thiếu giấy tờ"},
            "extend": {"reason": "Cần xác minh thêm"},
            "request_supplement": {"reason": "Bổ sung ảnh"},
            "supplement": {"changes": ["answer:husband_name"]},
            "assign": {"officer": self.officer},
            "complete": {"result": {"kind": "scan", "sha256": "0"}},
            "return_result": {"delivery": {"way": "pickup"}},
        }.get(action, {})
        if action == "complete":
            add_prepared_result(self.s, dossier, actor)
        perform(self.s, dossier, action, actor, now=when, **{**defaults, **inputs})
        return dossier

    def resolve(self, dossier, accepted: datetime, completed: datetime, rating=None):
        self.do(dossier, "accept", accepted)
        self.do(dossier, "complete", completed)
        if rating is not None:
            self.do(dossier, "return_result", completed)
            self.do(dossier, "rate", completed, rating=rating)
        return dossier


def date_catalogue(session) -> None:
    """The demo catalogue counts as published on 1 January 2026 (its level changes are dated
    so), so that March 2026 has it."""
    session.execute(update(ProcedureLevelChange).values(
        changed_at=datetime(2026, 1, 1, tzinfo=LOCAL_TZ)))


def build_march(session) -> dict:
    """The dataset behind EXPECTED_MARCH; returns the dossiers by name."""
    date_catalogue(session)
    b = Builder(session)
    office_b = session.scalar(select(Office).where(Office.agency_code == OTHER_OFFICE))
    leader_b = staff(session, "leader", OTHER_OFFICE)
    d = {}
    # Resolved on time (3 working days), returned and rated 5.
    d["on_time"] = b.resolve(b.file(at(2, 8)), at(2, 9), at(5, 10), rating=5)
    # Accepted a day late (intake due Tue 08:00), resolved after its due time: late.
    d["late"] = b.resolve(b.file(at(2, 8)), at(3, 9), at(11, 10))
    # Extended by the leader (apology), then resolved before the new due time: still late.
    d["extended"] = b.do(b.file(at(2, 8)), "accept", at(2, 9))
    b.do(d["extended"], "extend", at(6, 9), due_at=at(13, 9))
    b.do(d["extended"], "complete", at(11, 10))
    # Being processed, past its due time (Mon 9 March 09:00).
    d["overdue"] = b.do(b.do(b.file(at(2, 8)), "accept", at(2, 9)), "assign", at(2, 10))
    # Being processed, not yet due.
    d["open"] = b.do(b.file(at(18, 8)), "accept", at(18, 9))
    # Paused in time: not overdue while paused.
    d["paused"] = b.do(b.do(b.file(at(2, 8)), "accept", at(2, 9)),
                       "request_supplement", at(4, 9))
    # Paused after the due time: overdue, the pause erases nothing.
    d["paused_late"] = b.do(b.do(b.file(at(2, 8)), "accept", at(2, 9)),
                            "request_supplement", at(10, 9))
    # Supplemented: due time moved by the pause, resolved in time.
    d["supplemented"] = b.do(b.file(at(2, 8)), "accept", at(2, 9))
    b.do(d["supplemented"], "request_supplement", at(3, 9))
    b.do(d["supplemented"], "supplement", at(5, 9))
    b.do(d["supplemented"], "complete", at(10, 10))
    d["refused"] = b.do(b.file(at(2, 8)), "refuse", at(2, 10))
    # Still waiting for intake: past the intake due time, and in time.
    d["intake_overdue"] = b.file(at(16, 8))
    d["waiting"] = b.file(at(20, 8))
    # Received here, transferred to Tân Hòa, decided there, returned here and rated 4.
    d["transferred"] = b.do(b.file(at(2, 8)), "accept", at(2, 9))
    b.do(d["transferred"], "transfer", at(3, 9), office=office_b, reason="Đúng thẩm quyền")
    b.do(d["transferred"], "complete", at(5, 10), actor=leader_b)
    b.do(d["transferred"], "return_result", at(5, 11))
    b.do(d["transferred"], "rate", at(5, 11), rating=4)
    # Walk-in at the desk.
    d["counter"] = b.resolve(b.file_at_counter(at(2, 10)), at(2, 10, 30), at(4, 10))
    # A fee paid online (by the system), resolved and rated 5.
    d["paid_online"] = b.do(b.file(at(2, 8), MARITAL), "accept", at(2, 9))
    b.do(d["paid_online"], "pay", at(2, 14), actor=None, payment="sandbox-1")
    b.do(d["paid_online"], "complete", at(4, 10))
    b.do(d["paid_online"], "return_result", at(4, 11))
    b.do(d["paid_online"], "rate", at(4, 11), rating=5)
    # A fee paid at the desk; then left past its due time.
    d["paid_desk"] = b.do(b.file(at(2, 8), MARITAL), "accept", at(2, 9))
    b.do(d["paid_desk"], "pay", at(3, 9), actor=b.clerk, payment="desk")
    # Outside the period: filed in February (one resolved in March, one still open).
    d["february_resolved"] = b.resolve(b.file(at(25, 8, month=2)), at(25, 9, month=2),
                                       at(4, 8, 30))
    d["february_open"] = b.do(b.file(at(25, 8, month=2)), "accept", at(25, 9, month=2))
    # A draft is never counted.
    d["draft"] = filing.start_draft(session, b.resident, procedure(session, MARRIAGE))
    session.flush()
    return d


# Every figure of March 2026 (all offices) as of NOW, worked out by hand:
EXPECTED_MARCH = {
    "received": 15, "received_online": 14, "received_counter": 1, "online_share": 0.9333,
    "refused": 1, "withdrawn": 0, "waiting_intake": 1, "intake_overdue": 1, "intake_late": 1,
    "supplement_requested": 3,
    # on_time, supplemented, transferred, counter, paid_online and february_resolved on
    # time; late and extended late.
    "resolved": 8, "resolved_on_time": 6, "resolved_late": 2, "extended": 1,
    "on_time_rate": 0.75,
    # overdue, paused_late, paid_desk overdue; open and paused not due.
    "open": 5, "open_not_due": 2, "open_overdue": 3, "paused": 2,
    # 3 + 6 + 7 + 6 + 3 + 2 + 2 + 5 = 34 working days over 8 results.
    "average_processing_working_days": 4.25,
}
