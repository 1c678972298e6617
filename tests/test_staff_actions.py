"""Each action through POST /staff/dossiers/<code>/<action>, as the transition table says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from district_portal.models import DossierEvent, Notification
from district_portal.models import DossierStatus as S
from district_portal.models.types import utcnow
from district_portal.services.calendar.days import calendar_for
from district_portal.services.dossiers import filing
from district_portal.services.dossiers.workflow import perform
from tests.factories import MARITAL, OTHER_OFFICE, create_filed_dossier, pdf_upload, staff, user
from tests.helpers import csrf_token, login, post_action


def _as(client, sess, email):
    login(client, user(sess, email))


def _check(sess, d, response, status, action):
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    assert response.headers["Location"].endswith(f"/staff/dossiers/{d.code}")
    sess.expire_all()
    assert d.status == status
    event = d.events[-1]
    assert event.action == action and event.to_status == status


def test_clerk_accepts_and_the_due_date_comes_from_the_office_calendar(client, sess):
    d = create_filed_dossier(sess)
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    response = post_action(client, d, "accept")
    _check(sess, d, response, S.ACCEPTED, "accept")
    cal = calendar_for(sess, d.handling_office)
    assert d.due_at == cal.due_at(d.accepted_at, 5, "working_days")
    assert d.events[-1].data["due_at"] == d.due_at.isoformat()
    assert d.events[-1].actor.email == "clerk@demo.test"


def test_accepting_an_unpaid_fee_waits_for_payment_and_desk_payment_resumes(client, sess):
    d = create_filed_dossier(sess, code=MARITAL)
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    _check(sess, d, post_action(client, d, "accept"), S.PAYMENT_REQUESTED, "accept")
    _check(sess, d, post_action(client, d, "pay", amount="15000"), S.ACCEPTED, "pay")
    assert d.payment_state == "paid"


def test_refuse_needs_a_reason(client, sess):
    d = create_filed_dossier(sess)
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    version = d.version
    missing = post_action(client, d, "refuse", reason="  ")
    assert missing.status_code == 400
    sess.expire_all()
    assert d.status == S.SUBMITTED and d.version == version
    _check(sess, d, post_action(client, d, "refuse", reason="Không đúng thẩm quyền"),
           S.NOT_ACCEPTED, "refuse")
    assert d.events[-1].note == "Không đúng thẩm quyền"


def test_assign_transfer_and_request_payment(client, sess):
    d = create_filed_dossier(sess, status=S.ACCEPTED, code=MARITAL)
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    _check(sess, d, post_action(client, d, "pay", amount="15000"), S.ACCEPTED, "pay")
    officer = user(sess, "officer@demo.test")
    page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert officer.public_id in page and 'id="act-complete"' not in page
    _check(sess, d, post_action(client, d, "assign", officer=officer.public_id),
           S.IN_PROGRESS, "assign")
    assert d.assignee_id == officer.id
    _check(sess, d, post_action(client, d, "request_payment", amount="30000"),
           S.PAYMENT_REQUESTED, "request_payment")
    assert d.fee == 30000 and d.paused_at is not None
    _check(sess, d, post_action(client, d, "pay", amount="30000"), S.IN_PROGRESS, "pay")
    _check(sess, d, post_action(client, d, "transfer", office=OTHER_OFFICE,
                                reason="Đúng thẩm quyền phường Tân Hòa"),
           S.IN_PROGRESS, "transfer")
    assert d.handling_office.agency_code == OTHER_OFFICE
    # The receiving office still follows the dossier.
    assert client.get(f"/staff/dossiers/{d.code}").status_code == 200


def test_leader_extends_in_local_time_and_stops(client, sess):
    d = create_filed_dossier(sess, status=S.IN_PROGRESS)
    sess.commit()
    _as(client, sess, "leader@demo.test")
    response = post_action(client, d, "extend", due_date="2030-01-02", due_time="09:30",
                           reason="Cần xác minh thêm")
    assert response.status_code == 303
    sess.expire_all()
    assert d.status == S.IN_PROGRESS
    assert d.due_at == datetime(2030, 1, 2, 2, 30, tzinfo=UTC)
    assert d.events[-1].action == "extend"
    _check(sess, d, post_action(client, d, "stop", reason="Người nộp không bổ sung"),
           S.STOPPED, "stop")


def test_an_extension_to_year_one_is_refused_with_the_form_not_a_server_error(client, sess):
    d = create_filed_dossier(sess, status=S.IN_PROGRESS)
    sess.commit()
    due = d.due_at
    _as(client, sess, "leader@demo.test")
    response = post_action(client, d, "extend", due_date="0001-01-01", due_time="00:00",
                           reason="Cần xác minh thêm")
    assert response.status_code == 400
    sess.expire_all()
    assert d.due_at == due and d.events[-1].action != "extend"


def test_a_fee_paid_at_the_desk_cannot_be_recorded_twice(client, sess):
    d = create_filed_dossier(sess, status=S.ACCEPTED, code=MARITAL)
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    assert d.status == S.PAYMENT_REQUESTED
    _check(sess, d, post_action(client, d, "pay", amount="15000"), S.ACCEPTED, "pay")
    events = len(d.events)
    assert post_action(client, d, "pay", amount="15000").status_code == 409
    sess.expire_all()
    assert len(d.events) == events and d.status == S.ACCEPTED


def test_clerk_returns_a_result_by_post_with_its_waybill(client, sess):
    d = create_filed_dossier(sess, status=S.DONE)
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    assert post_action(client, d, "return_result", way="post").status_code == 400
    _check(sess, d, post_action(client, d, "return_result", way="post",
                                address="Số 1, tổ 2, phường Hòa Bình", waybill="EV123456789VN"),
           S.RETURNED, "return_result")
    assert d.delivery == {"way": "post", "address": "Số 1, tổ 2, phường Hòa Bình",
                          "waybill": "EV123456789VN"}
    # The table's notification column: the applicant is told the result was returned.
    sms = sess.scalars(select(Notification).where(Notification.dossier_id == d.id,
                                                  Notification.channel == "sms")
                       .order_by(Notification.id.desc())).first()
    assert "EV123456789VN" in sms.text and d.code in sms.text


def test_an_action_not_allowed_now_is_refused_with_409_and_changes_nothing(client, sess):
    d = create_filed_dossier(sess, status=S.ACCEPTED)
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    token = csrf_token(client, f"/staff/dossiers/{d.code}")
    version, events = d.version, len(d.events)
    response = post_action(client, d, "accept", token=token)
    assert response.status_code == 409
    assert "Đã tiếp nhận" in response.get_data(as_text=True)
    sess.expire_all()
    assert d.status == S.ACCEPTED and d.version == version and len(d.events) == events
    assert post_action(client, d, "fly", token=token).status_code == 404


def test_the_second_of_two_clerks_accepting_at_once_is_told_someone_else_was_first(
        client, sess):
    d = create_filed_dossier(sess)
    second_clerk = staff(sess, "clerk", office="000.00.04.T25")
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    other = client.application.test_client()
    login(other, second_clerk)
    version = d.version
    token_1 = csrf_token(client, f"/staff/dossiers/{d.code}")
    token_2 = csrf_token(other, f"/staff/dossiers/{d.code}")
    assert post_action(client, d, "accept", version=version, token=token_1).status_code == 303
    late = post_action(other, d, "accept", version=version, token=token_2)
    assert late.status_code == 409
    assert "Người khác vừa thay đổi hồ sơ này" in late.get_data(as_text=True)
    sess.expire_all()
    assert [e.action for e in d.events].count("accept") == 1
    assert sess.query(DossierEvent).filter_by(dossier_id=d.id, actor_id=second_clerk.id) \
        .count() == 0


def test_a_supplement_pauses_the_clock_and_the_answer_moves_the_due_date(client, sess):
    # Accepted three days ago with 5 working days; the office asked for more an hour later.
    accepted = utcnow() - timedelta(days=3)
    d = create_filed_dossier(sess, status=S.ACCEPTED, now=accepted)
    old_due = d.due_at
    clerk = user(sess, "clerk@demo.test")
    asked = accepted + timedelta(hours=1)
    perform(sess, d, "request_supplement", clerk, reason="Thiếu ảnh", now=asked)
    assert d.status == S.SUPPLEMENT_REQUESTED and d.paused_at == asked
    cal = calendar_for(sess, d.handling_office)
    remaining = d.remaining_seconds
    assert remaining == int(cal.working_time_between(asked, old_due).total_seconds())
    # The resident answers today with a new document: the clock resumes from where it was.
    resident = user(sess, "resident@demo.test")
    filing.add_attachment(sess, d, "xac_nhan_hon_nhan", pdf_upload("bo-sung.pdf"), resident,
                            kind="supplement")
    filing.answer_supplement(sess, d, resident, None)
    assert d.status == S.ACCEPTED and d.paused_at is None and d.remaining_seconds is None
    resumed = d.events[-1]
    assert resumed.action == "supplement" and resumed.data["changes"]
    assert d.due_at == cal.add_working_time(resumed.at, timedelta(seconds=remaining))
    assert d.due_at > old_due  # moved by the pause


def test_request_supplement_through_the_page_keeps_the_remaining_time(client, sess):
    d = create_filed_dossier(sess, status=S.ACCEPTED)
    sess.commit()
    _as(client, sess, "clerk@demo.test")
    _check(sess, d, post_action(client, d, "request_supplement", reason="Thiếu ảnh"),
           S.SUPPLEMENT_REQUESTED, "request_supplement")
    assert d.paused_at is not None and d.remaining_seconds > 0 and d.resume_status == "accepted"
