"""The stepped filing flow over HTTP: draft → answers → documents → check → submit."""

from __future__ import annotations

import re

from sqlalchemy import select

from district_portal import codes
from district_portal.models import Dossier, DossierEvent, DossierStatus, Notification
from district_portal.text import LOCAL_TZ
from tests.helpers import (
    BIRTH,
    OFFICE,
    ClientRequest,
    birth_answers,
    dossier_of,
    login,
    pdf_bytes,
    public_id_from,
)


def start(rc: ClientRequest, code: str = BIRTH):
    page = rc.post(f"/procedures/{code}/apply", form_page=f"/procedures/{code}",
                   expected_redirect="/my/dossiers/")
    return page, public_id_from(page)


def test_applying_creates_an_empty_draft_only_its_owner_sees(resident_client, session,
                                                              app, other_resident):
    page, public_id = start(resident_client)
    assert "Đăng ký khai sinh" in page.html
    draft = dossier_of(session, public_id)
    assert draft.status == DossierStatus.DRAFT
    assert draft.code is None and draft.ref is None and draft.intake_due_at is None
    assert draft.submitted_at is None
    mine = resident_client.get("/my/dossiers")
    assert public_id in mine.html and "Bản nháp" in mine.html
    other = app.test_client()
    login(other, other_resident)
    assert public_id not in ClientRequest(other).get("/my/dossiers").html
    assert other.get(f"/my/dossiers/{public_id}/edit").status_code == 404


def test_a_draft_is_filed_step_by_step_and_gets_its_code_ref_and_deadline(resident_client,
                                                                            session):
    _, public_id = start(resident_client)
    base = f"/my/dossiers/{public_id}"
    docs = resident_client.post(f"{base}/edit", {**birth_answers(), "_action": "next"},
                                form_page=f"{base}/edit",
                                expected_redirect=f"{base}/documents")
    assert "Giấy chứng sinh" in docs.html
    resident_client.post(f"{base}/documents/giay_chung_sinh", form_page=f"{base}/documents",
                         files={"giay_chung_sinh": (pdf_bytes(), "giay-chung-sinh.pdf")},
                         expected_redirect=f"{base}/documents")
    review = resident_client.get(f"{base}/review")
    assert "Nguyễn Văn Bé" in review.html and "giay-chung-sinh.pdf" in review.html
    assert "20/11/2026" in review.html  # dates read dd/mm/yyyy
    change_links = [a.get("href") for a in review.findall(".//table//a")]
    assert f"{base}/edit#in-child_name" in change_links
    assert f"{base}/edit#in-residence_commune" in change_links
    assert f"{base}/documents#doc-giay_chung_sinh" in change_links
    nonce = review.find(".//input[@name='nonce']").get("value")
    done = resident_client.post(f"{base}/submit", {"nonce": nonce}, form_page=f"{base}/review",
                                expected_redirect=f"{base}?filed=1")

    d = dossier_of(session, public_id)
    assert d.status == DossierStatus.SUBMITTED
    day = d.submitted_at.astimezone(LOCAL_TZ).strftime("%y%m%d")
    assert re.fullmatch(rf"{re.escape(OFFICE)}-{day}-\d{{4}}", d.code)
    assert codes.is_valid_ref(d.ref)
    assert d.intake_due_at is not None and d.intake_due_at > d.submitted_at
    assert d.applicant_phone == "+84912345678"
    assert d.answers["child_birth_date"] == "2026-11-20"
    assert d.answers["child_sex_label"] == "Nam"
    events = session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == d.id))
    (event,) = events.all()
    assert (event.action, event.from_status, event.to_status) == ("submit", "draft",
                                                                  "submitted")
    assert event.data["code"] == d.code and event.data["ref"] == d.ref
    sms = session.scalars(select(Notification).where(Notification.dossier_id == d.id,
                                                        Notification.channel == "sms")).all()
    assert [n.recipient for n in sms] == ["+84912345678"]
    assert d.code in sms[0].text
    assert d.code in done.html and codes.format_ref(d.ref) in done.html
    assert done.find(".//h1").text == "Bạn đã nộp hồ sơ thành công"


def test_a_repeated_submit_of_the_same_nonce_makes_one_dossier_and_shows_it(resident_client,
                                                                           session):
    _, public_id = start(resident_client)
    base = f"/my/dossiers/{public_id}"
    resident_client.post(f"{base}/edit", {**birth_answers(), "_action": "next"},
                         form_page=f"{base}/edit", expected_redirect=f"{base}/documents")
    resident_client.post(f"{base}/documents/giay_chung_sinh", form_page=f"{base}/documents",
                         files={"giay_chung_sinh": (pdf_bytes(), "a.pdf")},
                         expected_redirect=f"{base}/documents")
    nonce = resident_client.get(f"{base}/review").find(".//input[@name='nonce']").get("value")
    first = resident_client.post(f"{base}/submit", {"nonce": nonce},
                                 expected_redirect=f"{base}?filed=1")
    again = resident_client.post(f"{base}/submit", {"nonce": nonce},
                                 expected_redirect=f"{base}?filed=1")
    d = dossier_of(session, public_id)
    assert d.code in first.html and d.code in again.html
    events = session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == d.id))
    assert len(events.all()) == 1
    assert session.scalar(select(Dossier.id).where(Dossier.code == d.code)) == d.id


def test_a_draft_is_resumed_after_logging_out_and_in_again(app, resident_client, resident):
    _, public_id = start(resident_client)
    base = f"/my/dossiers/{public_id}"
    resident_client.post(f"{base}/edit", {**birth_answers(child_name="Bé Na"),
                                          "_action": "later"},
                         form_page=f"{base}/edit", expected_redirect="/my/dossiers")
    later = app.test_client()
    login(later, resident)
    rc = ClientRequest(later)
    listing = rc.get("/my/dossiers")
    assert f"{base}/edit" in listing.html
    page = rc.get(f"{base}/edit")
    assert page.value("child_name") == "Bé Na"
    assert page.value("residence_commune") == "4795"


def test_a_nonce_already_used_by_another_dossier_is_refused_not_a_500(resident_client,
                                                                       session):
    from tests.helpers import file_dossier, save, upload

    first = file_dossier(resident_client)
    used = dossier_of(session, first).submission_nonce
    _, second = start(resident_client)
    save(resident_client, second, birth_answers())
    upload(resident_client, second, "giay_chung_sinh", pdf_bytes())
    page = resident_client.post(f"/my/dossiers/{second}/submit", {"nonce": used},
                                form_page=f"/my/dossiers/{second}/review",
                                expected_redirect=f"/my/dossiers/{second}/review")
    assert "Biểu mẫu này đã được dùng cho một hồ sơ khác." in page.html
    assert page.find(".//input[@name='nonce']").get("value") != used
    d = dossier_of(session, second)
    assert d.status == DossierStatus.DRAFT and d.code is None


def test_invalid_answers_block_submission_and_the_draft_is_kept(resident_client, session):
    from tests.helpers import save, upload

    _, public_id = start(resident_client)
    save(resident_client, public_id, birth_answers())
    upload(resident_client, public_id, "giay_chung_sinh", pdf_bytes())
    base = f"/my/dossiers/{public_id}"
    save(resident_client, public_id, birth_answers(mother_id_number="123"), action="later",
         expected_redirect="/my/dossiers")
    review = resident_client.get(f"{base}/review")
    assert "Số định danh cá nhân gồm đúng 12 chữ số." in review.html
    assert review.find(".//input[@name='nonce']") is None
    page = resident_client.post(f"{base}/submit", {"nonce": "n-invalid"},
                                form_page=f"{base}/documents",
                                expected_redirect=f"{base}/review")
    assert "Một số thông tin cần sửa trước khi nộp." in page.html
    d = dossier_of(session, public_id)
    assert d.status == DossierStatus.DRAFT and d.code is None
    assert d.answers["mother_id_number"] == "123" and len(d.attachments) == 1
