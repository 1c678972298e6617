"""The workflow's own guards and input checks (refused with a Vietnamese message, nothing
changed), two supplement rounds in a row, the notifications each action declares, and the staff
page offering exactly the actions the workflow says are available."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from district_portal.forms.staff import UI_ACTIONS
from district_portal.models import DossierStatus as S
from district_portal.models import Notification, Procedure
from district_portal.services.calendar.days import calendar_for
from district_portal.services.dossiers import filing, inbox
from district_portal.services.dossiers.workflow import (
    Action,
    WorkflowError,
    available_actions,
    perform,
)
from tests.factories import MARITAL, OFFICE, OTHER_OFFICE, office, pdf_upload, staff, user
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import login, post_action


def _refused(sess, d, action, actor, status, message, **inputs):
    """perform() refuses with `status` and a message containing `message`; nothing changed."""
    before = (d.status, len(d.events), d.version, d.fee, d.payment_state, d.due_at,
              d.assignee_id, d.handling_office_id)
    with pytest.raises(WorkflowError) as caught:
        perform(sess, d, action, actor, **inputs)
    assert caught.value.status == status
    assert message in str(caught.value.message)
    sess.flush()
    assert (d.status, len(d.events), d.version, d.fee, d.payment_state, d.due_at,
            d.assignee_id, d.handling_office_id) == before


# --- assign and transfer -------------------------------------------------------------------


def test_assigning_someone_who_is_not_an_active_officer_of_the_handling_office_is_refused(sess):
    d = create_dossier(sess, status=S.ACCEPTED)
    clerk = user(sess, "clerk@demo.test")
    not_an_officer = staff(sess, "clerk", office=OFFICE)
    elsewhere = staff(sess, "officer", office=OTHER_OFFICE)
    inactive = staff(sess, "officer", office=OFFICE)
    inactive.active = False
    for officer in (not_an_officer, elsewhere, inactive, "officer@demo.test"):
        _refused(sess, d, Action.ASSIGN, clerk, 400, "Chọn chuyên viên của cơ quan đang xử lý",
                 officer=officer)
    perform(sess, d, Action.ASSIGN, clerk, officer=user(sess, "officer@demo.test"))
    assert d.status == S.IN_PROGRESS and d.assignee.email == "officer@demo.test"


def test_a_transfer_to_the_same_or_an_inactive_office_is_refused(sess):
    d = create_dossier(sess, status=S.ACCEPTED)
    leader = user(sess, "leader@demo.test")
    closed = office(sess, "000.00.06.T25")
    closed.active = False
    for target in (d.handling_office, closed, OTHER_OFFICE):
        _refused(sess, d, Action.TRANSFER, leader, 400, "Chọn một cơ quan khác đang hoạt động",
                 office=target, reason="Chuyển")
    _refused(sess, d, Action.TRANSFER, leader, 400, "Ghi rõ lý do",
             office=office(sess, OTHER_OFFICE), reason="  ")
    perform(sess, d, Action.TRANSFER, leader, office=office(sess, OTHER_OFFICE),
            reason="Đúng thẩm quyền")
    assert d.handling_office.agency_code == OTHER_OFFICE and d.events[-1].action == "transfer"


# --- fees and payments ---------------------------------------------------------------------


def _paid_fee_dossier(sess):
    d = create_dossier(sess, status=S.ACCEPTED, code=MARITAL)
    perform(sess, d, Action.PAY, user(sess, "clerk@demo.test"), payment="desk")
    assert d.status == S.ACCEPTED and d.payment_state == "paid"
    return d


@pytest.mark.parametrize("amount", [0, -15000, "15000", 1.5, True])
def test_a_payment_request_for_a_wrong_amount_is_refused(sess, amount):
    d = _paid_fee_dossier(sess)
    _refused(sess, d, Action.REQUEST_PAYMENT, user(sess, "clerk@demo.test"), 400,
             "Nhập số tiền (đồng) lớn hơn 0", amount=amount)


def test_a_payment_cannot_be_requested_on_a_free_dossier(sess):
    d = create_dossier(sess, status=S.ACCEPTED)
    assert d.fee == 0
    clerk = user(sess, "clerk@demo.test")
    assert Action.REQUEST_PAYMENT not in available_actions(clerk, d)
    _refused(sess, d, Action.REQUEST_PAYMENT, clerk, 409, "không thu phí, lệ phí", amount=20000)


def test_a_payment_cannot_be_recorded_on_a_free_dossier_by_the_desk_or_the_system(sess):
    d = create_dossier(sess, status=S.ACCEPTED)
    clerk = user(sess, "clerk@demo.test")
    assert Action.PAY not in available_actions(clerk, d)
    _refused(sess, d, Action.PAY, clerk, 409, "không thu phí, lệ phí", payment="desk")
    with pytest.raises(WorkflowError):
        perform(sess, d, Action.PAY, None, system=True, payment="vnpay")
    assert d.payment_state == "none"


def test_the_desk_page_refuses_a_payment_on_a_free_dossier_and_records_nothing(client, sess):
    d = create_dossier(sess, status=S.ACCEPTED)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    assert 'id="act-pay"' not in client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    response = post_action(client, d, "pay")
    assert response.status_code == 409
    assert "không thu phí, lệ phí" in response.get_data(as_text=True)
    sess.expire_all()
    assert d.payment_state == "none" and "pay" not in [e.action for e in d.events]


def test_a_fee_is_paid_once_whoever_confirms_it_second(sess):
    d = _paid_fee_dossier(sess)
    _refused(sess, d, Action.PAY, user(sess, "clerk@demo.test"), 409, "đã được thanh toán",
             payment="desk")
    with pytest.raises(WorkflowError):
        perform(sess, d, Action.PAY, None, system=True, payment="vnpay")
    assert [e.action for e in d.events].count("pay") == 1


# --- dates, results, ratings -----------------------------------------------------------------


def test_an_extension_to_the_current_due_date_or_earlier_is_refused(sess):
    d = create_dossier(sess, status=S.IN_PROGRESS)
    leader = user(sess, "leader@demo.test")
    for due in (d.due_at, d.due_at - timedelta(minutes=1), d.due_at - timedelta(days=30),
                "2030-01-01"):
        _refused(sess, d, Action.EXTEND, leader, 400, "phải sau ngày hẹn hiện tại", due_at=due,
                 reason="Xác minh")
    later = d.due_at + timedelta(days=2)
    perform(sess, d, Action.EXTEND, leader, due_at=later, reason="Xác minh")
    assert d.due_at == later


def test_a_result_cannot_be_issued_before_one_is_prepared(sess):
    d = create_dossier(sess, status=S.IN_PROGRESS)
    leader = user(sess, "leader@demo.test")
    assert Action.COMPLETE not in available_actions(leader, d)
    _refused(sess, d, Action.COMPLETE, leader, 400, "đính kèm hoặc tạo kết quả",
             result={"kind": "scan", "sha256": "0"})


def test_a_dossier_is_rated_once(sess):
    d = create_dossier(sess, status=S.RETURNED)
    owner = d.applicant_user
    assert Action.RATE in available_actions(owner, d)
    perform(sess, d, Action.RATE, owner, rating=5)
    assert Action.RATE not in available_actions(owner, d)
    _refused(sess, d, Action.RATE, owner, 409, "đã đánh giá hồ sơ này", rating=1)
    assert d.rating == 5


# --- two supplement rounds -------------------------------------------------------------------


def _local(day, hour, minute=0):
    # 2026-03-02 is a Monday; Hà Nội is UTC+7 all year.
    return datetime(2026, 3, day, hour - 7, minute, tzinfo=UTC)


def test_two_supplement_rounds_pause_and_resume_the_clock_twice(sess):
    d = create_dossier(sess, status=S.ACCEPTED, now=_local(3, 9))
    clerk, resident = user(sess, "clerk@demo.test"), user(sess, "resident@demo.test")
    cal = calendar_for(sess, d.handling_office)
    rounds = [(_local(3, 14), _local(5, 10), "Thiếu ảnh"),
              (_local(6, 9), _local(10, 15), "Ảnh chưa rõ")]
    for asked, answered, reason in rounds:
        due = d.due_at
        perform(sess, d, Action.REQUEST_SUPPLEMENT, clerk, reason=reason, now=asked)
        assert d.status == S.SUPPLEMENT_REQUESTED and d.paused_at == asked
        assert d.resume_status == "accepted"
        remaining = d.remaining_seconds
        assert remaining == int(cal.working_time_between(asked, due).total_seconds()) > 0
        assert Action.ASSIGN not in available_actions(clerk, d)
        assert Action.SUPPLEMENT in available_actions(resident, d)
        filing.add_attachment(sess, d, "xac_nhan_hon_nhan", pdf_upload(f"{reason}.pdf"),
                              resident, kind="supplement")
        perform(sess, d, Action.SUPPLEMENT, resident, changes=[f"document:{reason}"],
                now=answered)
        assert d.status == S.ACCEPTED
        assert (d.paused_at, d.remaining_seconds, d.resume_status) == (None, None, None)
        assert d.due_at == cal.add_working_time(answered, timedelta(seconds=remaining))
        assert cal.working_time_between(answered, d.due_at) == timedelta(seconds=remaining)
        assert d.due_at > due
    events = [(e.action, e.note, e.from_status, e.to_status) for e in d.events
              if e.action in ("request_supplement", "supplement")]
    assert events == [
        ("request_supplement", "Thiếu ảnh", "accepted", "supplement_requested"),
        ("supplement", None, "supplement_requested", "accepted"),
        ("request_supplement", "Ảnh chưa rõ", "accepted", "supplement_requested"),
        ("supplement", None, "supplement_requested", "accepted"),
    ]
    answers = [e.data["changes"] for e in d.events if e.action == "supplement"]
    assert answers == [["document:Thiếu ảnh"], ["document:Ảnh chưa rõ"]]
    assert filing.pending_supplement_request(d).note == "Ảnh chưa rõ"
    texts = [n.text for n in sess.scalars(select(Notification).where(
        Notification.dossier_id == d.id, Notification.channel == "sms"))]
    asked = [t for t in texts if t.startswith(f"Hồ sơ {d.code} cần bổ sung.")]
    assert [t.rsplit("Nội dung cần bổ sung: ", 1)[1] for t in asked] == ["Thiếu ảnh",
                                                                        "Ảnh chưa rõ"]


# --- notifications declared next to the transitions ---------------------------------------


def _emails(sess, d):
    return [(n.recipient, n.subject) for n in sess.scalars(
        select(Notification).where(Notification.dossier_id == d.id,
                                   Notification.channel == "email").order_by(Notification.id))]


def test_an_assignment_is_emailed_to_the_officer_alone(sess):
    d = create_dossier(sess, status=S.ACCEPTED)
    before = len(_emails(sess, d))
    officer = user(sess, "officer@demo.test")
    perform(sess, d, Action.ASSIGN, user(sess, "clerk@demo.test"), officer=officer)
    assert _emails(sess, d)[before:] == [(officer.email, "Hồ sơ được giao cho bạn")]


def test_a_result_returned_by_post_tells_the_applicant_its_waybill(sess):
    d = create_dossier(sess, status=S.DONE)
    perform(sess, d, Action.RETURN_RESULT, user(sess, "clerk@demo.test"),
            delivery={"way": "post", "address": "Số 1, tổ 2", "waybill": "EB123456789VN"})
    last = sess.scalars(select(Notification).where(Notification.dossier_id == d.id)
                        .order_by(Notification.id.desc())).first()
    assert "EB123456789VN" in last.text and d.code in last.text


def test_filing_sends_the_confirmation_with_the_tracking_code(sess):
    d = create_dossier(sess)
    sms = sess.scalars(select(Notification).where(Notification.dossier_id == d.id,
                                                  Notification.channel == "sms")).all()
    assert len(sms) == 1 and d.code in sms[0].text and d.events[-1].action == "submit"


# --- the staff page asks the workflow ------------------------------------------------------

BUTTON = re.compile(r'id="act-([a-z_]+)"')


@pytest.mark.parametrize("status,code", [
    (S.SUBMITTED, None), (S.ACCEPTED, None), (S.ACCEPTED, MARITAL), (S.IN_PROGRESS, None),
    (S.SUPPLEMENT_REQUESTED, None), (S.PAYMENT_REQUESTED, MARITAL), (S.DONE, None),
    (S.RETURNED, None), (S.STOPPED, None)])
def test_the_staff_dossier_page_shows_exactly_the_available_actions(client, sess, status,
                                                                     code):
    d = create_dossier(sess, status=status, **({"code": code} if code else {}))
    if code == MARITAL and status == S.ACCEPTED:
        perform(sess, d, Action.PAY, user(sess, "clerk@demo.test"), payment="desk")
    sess.commit()
    for email in ("clerk@demo.test", "officer@demo.test", "leader@demo.test"):
        account = user(sess, email)
        login(client, account)
        page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
        expected = [a.value for a in available_actions(account, d) if a in UI_ACTIONS]
        assert BUTTON.findall(page) == expected, (status, email)


def test_the_desk_never_offers_payment_on_a_free_or_paid_dossier(client, sess):
    free = create_dossier(sess, status=S.ACCEPTED)
    paid = _paid_fee_dossier(sess)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    for d in (free, paid):
        page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
        assert 'id="act-pay"' not in page and 'id="act-assign"' in page
    page = client.get(f"/staff/dossiers/{free.code}").get_data(as_text=True)
    assert 'id="act-request_payment"' not in page
    page = client.get(f"/staff/dossiers/{paid.code}").get_data(as_text=True)
    assert 'id="act-request_payment"' in page


# --- the inbox's procedure filter ----------------------------------------------------------


def test_the_inbox_filter_lists_published_procedures_and_those_with_dossiers_here(sess):
    here = {office(sess, OFFICE).id}
    listed = {p.code for p in inbox.procedures_for(sess, here)}
    marital = sess.scalar(select(Procedure).where(Procedure.code == MARITAL))
    assert MARITAL in listed
    marital.published = False
    sess.flush()
    assert MARITAL not in {p.code for p in inbox.procedures_for(sess, here)}
    marital.published = True
    sess.flush()
    create_dossier(sess, code=MARITAL)  # filed before it was unpublished
    marital.published = False
    sess.flush()
    assert MARITAL in {p.code for p in inbox.procedures_for(sess, here)}
    elsewhere = {office(sess, "000.00.06.T25").id}
    assert MARITAL not in {p.code for p in inbox.procedures_for(sess, elsewhere)}
