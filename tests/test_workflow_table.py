"""The transition table is the truth: every status × action × kind of actor is tried through
perform() on the real database, and what perform() accepts is exactly what TRANSITIONS (with
its guards) allows — with the status, the event and nothing else changed on a refusal."""

from __future__ import annotations

import secrets
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from district_portal.models import Attachment, Dossier, DossierStatus, User
from district_portal.services.dossiers import filing
from district_portal.services.dossiers.workflow import (
    PAUSED_STATUSES,
    TRANSITIONS,
    Action,
    WorkflowError,
    available_actions,
    perform,
)
from tests.factories import ANSWERS, MARRIAGE, create_dossier, fill, office, procedure, user
from tests.factories import staff_applicant_answers as applicant_answers

S = DossierStatus
RECEIVING, HANDLING, ELSEWHERE = "000.00.04.T25", "000.00.05.T25", "000.00.06.T25"
# Actor → what the table calls it. Each staff account holds one role in one office.
ACTORS = {
    "owner": {"owner"},
    "clerk@receiving": {"clerk@receiving"},
    "officer@receiving": {"officer@receiving"},
    "leader@receiving": {"leader@receiving"},
    "clerk@handling": {"clerk@handling"},
    "officer@handling": {"officer@handling"},
    "leader@handling": {"leader@handling"},
    "other staff": set(),
    "anonymous": set(),
    "system": {"system"},
}


def _staff(sess, roles, agency_code, name) -> User:
    # Built directly: these accounts never log in, and hashing eight passwords per test is
    # most of its time.
    account = User(email=f"{secrets.token_hex(4)}@x.test", password_hash="!", roles=roles,
                   office=office(sess, agency_code), full_name=name)
    sess.add(account)
    return account


@pytest.fixture
def people(sess):
    """One account per actor kind (the owner is the demo resident)."""
    made = {"owner": user(sess, "resident@demo.test"), "anonymous": None, "system": None}
    for key in ACTORS:
        if "@" in key:
            role, where = key.split("@")
            made[key] = _staff(sess, [role], RECEIVING if where == "receiving" else HANDLING,
                               f"Cán bộ {role} {where}")
    made["other staff"] = _staff(sess, ["clerk", "officer", "leader"], ELSEWHERE,
                                 "Cán bộ xã khác")
    sess.flush()
    return made


def _draft(sess, owner):
    draft = filing.start_draft(sess, owner, procedure(sess, MARRIAGE))
    form = fill(sess, draft, {**applicant_answers(office=RECEIVING), **ANSWERS[MARRIAGE]})
    assert form.validate(), form.errors
    return draft


def _dossier(sess, people, status, guards_hold: bool) -> Dossier:
    """A dossier received by one office and handled by another, in `status`; its fee, rating
    and prepared result make every guard hold, or every guard fail."""
    owner = people["owner"]
    if status == S.DRAFT:
        d = _draft(sess, owner)
    else:
        d = create_dossier(sess, status=status, applicant_user_id=owner.id)
    d.handling_office = office(sess, HANDLING)
    d.fee = 15000
    d.payment_state = "unpaid" if guards_hold else "paid"
    d.rating = None if guards_hold else 4
    if status in PAUSED_STATUSES:
        d.resume_status = str(S.ACCEPTED)
        d.paused_at = d.accepted_at + timedelta(hours=1)
        d.remaining_seconds = 3600
    if guards_hold:
        sess.add(Attachment(dossier=d, document_key="result-scan", kind="result",
                            original_name="ket-qua.pdf", stored_name="0",
                            content_type="application/pdf", size=10))
    sess.flush()
    sess.refresh(d)
    return d


def _inputs(sess, action: Action, d: Dossier, people) -> dict:
    due = d.due_at or d.submitted_at or d.created_at
    return {
        Action.SUBMIT: {"nonce": secrets.token_hex(8)},
        Action.REFUSE: {"reason": "Không đúng thẩm quyền"},
        Action.REQUEST_SUPPLEMENT: {"reason": "Thiếu ảnh"},
        Action.SUPPLEMENT: {"changes": ["desk: ảnh"]},
        Action.ASSIGN: {"officer": people["officer@handling"]},
        Action.TRANSFER: {"office": office(sess, ELSEWHERE),
                          "reason": "Đúng thẩm quyền"},
        Action.REQUEST_PAYMENT: {"amount": 20000},
        Action.PAY: {"payment": "desk"},
        Action.COMPLETE: {"result": {"kind": "scan", "sha256": "0"}},
        Action.RETURN_RESULT: {"delivery": {"way": "pickup"}},
        Action.STOP: {"reason": "Dừng"},
        Action.EXTEND: {"due_at": due + timedelta(days=10), "reason": "Xác minh"},
        Action.RATE: {"rating": 5},
    }.get(action, {})


def _expected_status(action: Action, d: Dossier) -> DossierStatus:
    t = TRANSITIONS[action]
    if action == Action.ACCEPT and d.fee and d.payment_state != "paid":
        return S.PAYMENT_REQUESTED
    if action in (Action.SUPPLEMENT, Action.PAY) and d.status in PAUSED_STATUSES:
        return DossierStatus(d.resume_status)
    return t.to or d.status


class StatusWrites:
    """Records which source file assigned Dossier.status while it listens."""

    def __init__(self):
        self.files: set[str] = set()

    def __call__(self, target, value, oldvalue, initiator):
        frame = sys._getframe(1)
        while frame is not None and "sqlalchemy" in frame.f_code.co_filename:
            frame = frame.f_back
        self.files.add(Path(frame.f_code.co_filename).name if frame else "?")


@pytest.mark.parametrize("guards_hold", [True, False], ids=["guards hold", "guards fail"])
@pytest.mark.parametrize("status", list(DossierStatus), ids=str)
def test_perform_accepts_exactly_what_the_table_allows_for_every_actor(
        sess, people, status, guards_hold):
    d = _dossier(sess, people, status, guards_hold)
    writes = StatusWrites()
    tried = accepted = 0
    for action, t in TRANSITIONS.items():
        for actor_key, kinds in ACTORS.items():
            expected = bool(kinds & t.who) and d.status in t.frm and \
                all(g.test(d) for g in t.guards)
            before = (d.status, len(d.events), d.version)
            target = _expected_status(action, d)
            # A refusal must change nothing: only an accepted action needs undoing.
            nested = sess.begin_nested() if expected else None
            event.listen(Dossier.status, "set", writes)
            try:
                perform(sess, d, action, people[actor_key], system=actor_key == "system",
                        **_inputs(sess, action, d, people))
            except WorkflowError as exc:
                assert not expected, (status, action, actor_key, str(exc.message))
                assert exc.status in (403, 409, 400), (status, action, actor_key)
                if not kinds & t.who:
                    assert exc.status == 403
                sess.flush()
                assert (d.status, len(d.events), d.version) == before, (status, action)
            else:
                assert expected, (status, action, actor_key)
                assert d.status == target and d.events[-1].action == action, (action, actor_key)
                accepted += 1
            finally:
                event.remove(Dossier.status, "set", writes)
            if nested is not None:
                nested.rollback()
                sess.refresh(d)
            tried += 1
    assert tried == len(TRANSITIONS) * len(ACTORS)
    assert accepted == sum(
        1 for t in TRANSITIONS.values() for kinds in ACTORS.values()
        if kinds & t.who and status in t.frm and all(g.test(d) for g in t.guards))
    # Every accepted action set the status from the workflow, and nothing else set it.
    assert writes.files == ({"workflow.py"} if accepted else set()), writes.files


@pytest.mark.parametrize("status", list(DossierStatus), ids=str)
def test_available_actions_name_what_perform_would_accept(sess, people, status):
    d = _dossier(sess, people, status, True)
    for actor_key, kinds in ACTORS.items():
        if actor_key == "system":
            shown = available_actions(None, d, system=True)
        else:
            shown = available_actions(people[actor_key], d)
        assert shown == [a for a, t in TRANSITIONS.items()
                         if kinds & t.who and status in t.frm], (actor_key, shown)
