"""Postal delivery: the resident asks for the result by post (check page or dossier page, until
the result is returned), the clerk records the waybill, and /track and the SMS show it."""

from __future__ import annotations

from sqlalchemy import select

from district_portal.models import Notification
from tests.helpers import (
    BIRTH,
    COMMUNE,
    OTHER_COMMUNE,
    OTHER_PROVINCE,
    PROVINCE,
    ClientRequest,
    birth_answers,
    dossier_of,
    file_dossier,
    login,
    pdf_bytes,
    save,
    start_draft,
    submit,
    upload,
    user_by_email,
)
from tests.helpers import act as workflow_act

POST = {"delivery_way": "post", "post_commune.province": PROVINCE, "post_commune": COMMUNE,
        "post_street": "Số 12, tổ 4", "post_phone": "0912 000 111"}


def birth_draft(rc: ClientRequest) -> str:
    _, public_id = start_draft(rc, BIRTH)
    save(rc, public_id, birth_answers())
    upload(rc, public_id, "giay_chung_sinh", pdf_bytes())
    return public_id


def choose(rc, public_id, data, back="review", **kw):
    page_url = f"/my/dossiers/{public_id}/{back}" if back else f"/my/dossiers/{public_id}"
    return rc.post(f"/my/dossiers/{public_id}/delivery", {"_action": "save", **data},
                   form_page=page_url, **kw)


def returned_by_post(app, rc, session, waybill="EB123456789VN") -> str:
    public_id = file_dossier(rc)
    choose(rc, public_id, POST, back="", expected_redirect=f"/my/dossiers/{public_id}")
    clerk = user_by_email(session, "clerk@demo.test")
    workflow_act(app, session, public_id, "accept", clerk)
    workflow_act(app, session, public_id, "complete", user_by_email(session, "leader@demo.test"),
                 result={"kind": "scan", "sha256": "0" * 64})
    d = dossier_of(session, public_id)
    staff = app.test_client()
    login(staff, clerk)
    page = ClientRequest(staff).get(f"/staff/dossiers/{d.code}")
    # The return form is prefilled from the resident's choice.
    assert page.value("return_result-way") == "post"
    assert page.value("return_result-address") == "Số 12, tổ 4, Phường Hòa Bình, Phú Thọ"
    response = staff.post(f"/staff/dossiers/{d.code}/return_result", data={
        "return_result-csrf_token": page.csrf_token(),
        "return_result-version": str(d.version), "return_result-way": "post",
        "return_result-address": page.value("return_result-address"),
        "return_result-waybill": waybill})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return public_id


def test_the_check_page_offers_post_at_the_offices_postage_prefilled_from_the_applicant(
        resident_client):
    public_id = birth_draft(resident_client)
    page = resident_client.get(f"/my/dossiers/{public_id}/review")
    section = page.text(page.by_id("delivery"))
    assert "Ông/bà muốn nhận kết quả bằng cách nào?" in section
    assert "Gửi qua bưu điện: cước phí 25.000 đồng, trả khi nhận" in section
    assert "Tải về trực tuyến trên Cổng" in section
    assert page.value("post_phone") == "0912 345 678"
    assert page.value("post_street") == "Số 5, tổ 3"
    assert page.value("post_commune") == COMMUNE
    assert page.gzip_size() <= 14 * 1024  # a resident page's budget (DESIGN §8)


def test_choosing_post_on_the_check_page_is_kept_through_submission(resident_client, session):
    public_id = birth_draft(resident_client)
    page = choose(resident_client, public_id, POST,
                  expected_redirect=f"/my/dossiers/{public_id}/review")
    assert "Đã lưu cách nhận kết quả của ông/bà." in page.text()
    assert "Số 12, tổ 4, Phường Hòa Bình" in page.text(page.by_id("delivery"))
    submit(resident_client, public_id)
    d = dossier_of(session, public_id)
    assert d.status == "submitted"
    assert {k: d.delivery[k] for k in ("way", "street", "phone", "postage", "commune")} == {
        "way": "post", "street": "Số 12, tổ 4", "phone": "+84912000111", "postage": 25000,
        "commune": int(COMMUNE)}
    assert d.delivery["address"] == "Số 12, tổ 4, Phường Hòa Bình, Phú Thọ"


def test_wrong_delivery_answers_get_vietnamese_messages_and_keep_what_was_typed(
        resident_client, session):
    public_id = birth_draft(resident_client)
    page = choose(resident_client, public_id,
                  {**POST, "post_street": "", "post_phone": "12ab",
                   "post_commune.province": OTHER_PROVINCE, "post_commune": COMMUNE},
                  expected_status=400)
    errors = page.text(page.by_id("errors"))
    assert "Nhập số nhà, đường, thôn/tổ nhận kết quả" in errors
    assert "Nhập số điện thoại Việt Nam" in errors
    assert "Chọn xã/phường thuộc tỉnh/thành phố đã chọn." in errors
    assert page.value("post_phone") == "12ab"
    assert page.value("delivery_way") == "post"
    assert dossier_of(session, public_id).delivery == {}


def test_without_javascript_the_province_button_lists_its_communes_and_saves_nothing(
        resident_client, session):
    public_id = birth_draft(resident_client)
    page = choose(resident_client, public_id,
                  {**POST, "_action": "refresh", "post_commune.province": OTHER_PROVINCE,
                   "post_commune": ""}, expected_status=200)
    options = [o.get("value") for o in page.by_id("in-post_commune").iter("option")]
    assert OTHER_COMMUNE in options and COMMUNE not in options
    assert page.value("post_street") == "Số 12, tổ 4"
    assert dossier_of(session, public_id).delivery == {}


def test_a_procedure_whose_result_is_not_posted_offers_no_post(resident_client, session):
    _, public_id = start_draft(resident_client, "2.000815")
    page = resident_client.get(f"/my/dossiers/{public_id}/review")
    assert page.by_id("delivery") is None
    refused = choose(resident_client, public_id, POST, expected_status=400)
    assert "Cơ quan không gửi kết quả của thủ tục này qua bưu điện." in refused.text()


def test_the_resident_chooses_post_on_the_dossier_page_after_submitting(resident_client,
                                                                        session):
    public_id = file_dossier(resident_client)
    page = resident_client.get(f"/my/dossiers/{public_id}")
    assert page.value("delivery_way") in ("", "online")
    choose(resident_client, public_id, POST, back="",
           expected_redirect=f"/my/dossiers/{public_id}")
    d = dossier_of(session, public_id)
    assert d.delivery["way"] == "post" and d.delivery["postage"] == 25000
    page = resident_client.get(f"/my/dossiers/{public_id}")
    assert "Đã đăng ký; số vận đơn sẽ có khi kết quả được gửi đi." in page.text()
    # Back to downloading it online.
    choose(resident_client, public_id, {"delivery_way": "online"}, back="",
           expected_redirect=f"/my/dossiers/{public_id}")
    assert dossier_of(session, public_id).delivery["way"] == "online"


def test_another_resident_cannot_choose_for_someone_elses_dossier(app, resident_client,
                                                                  other_resident, session):
    public_id = file_dossier(resident_client)
    other = app.test_client()
    login(other, other_resident)
    ClientRequest(other).post(f"/my/dossiers/{public_id}/delivery", POST, expected_status=404)


def test_the_waybill_is_recorded_at_return_and_sent_by_sms_but_not_shown_on_track(
        app, resident_client, session):
    public_id = returned_by_post(app, resident_client, session)
    d = dossier_of(session, public_id)
    assert d.status == "returned"
    assert d.delivery["waybill"] == "EB123456789VN"
    assert d.delivery["phone"] == "+84912000111"  # the resident's choice is kept
    track = app.test_client()
    rc = ClientRequest(track)
    page = rc.post("/track", {"lookup": d.code, "phone": "0912 345 678"}, expected_status=200)
    # /track shows status, dates and office only (issue 11, item 12): a waybill would lead
    # to the postal address.
    assert "Đã trả kết quả" in page.text() and "EB123456789VN" not in page.text()
    texts = session.scalars(select(Notification.text).where(
        Notification.dossier_id == d.id, Notification.channel == "sms")).all()
    assert any("EB123456789VN" in t for t in texts), texts


def test_after_the_result_is_returned_the_choice_can_no_longer_change(app, resident_client,
                                                                      session):
    public_id = returned_by_post(app, resident_client, session)
    page = resident_client.get(f"/my/dossiers/{public_id}")
    assert page.find(".//input[@name='delivery_way']") is None
    refused = resident_client.post(f"/my/dossiers/{public_id}/delivery",
                                   {**POST, "_action": "save"},
                                   form_page=f"/my/dossiers/{public_id}", expected_status=409)
    assert "không thể đổi cách nhận kết quả nữa" in refused.text()
    assert dossier_of(session, public_id).delivery["waybill"] == "EB123456789VN"
