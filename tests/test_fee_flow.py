"""Fee lines: worked out from the answers, shown on the check page, stored at submission and
shown on the resident's and the staff's dossier pages and on form 01 (the PDF's text)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from district_portal.services.catalog.importer import import_catalog
from tests.helpers import (
    OFFICE,
    ClientRequest,
    applicant_answers,
    birth_answers,
    demo_procedure,
    dossier_of,
    file_dossier,
    import_procedure,
    login,
    pdf_bytes,
    save,
    start_draft,
    submit,
    upload,
    user_by_email,
)
from tests.helpers import act as workflow_act
from tests.test_pdf import pdf_text

COPY = "2.000815"  # Chứng thực bản sao: 2.000 đồng for pages 1–2, 1.000 from page 3, ≤ 200.000


def fee_rows(page) -> list[str]:
    """Each row of the page's fee table, its cells joined by " | "."""
    table = page.find(".//table[@class='fee-lines']")
    assert table is not None, "no fee table on the page"
    return [" | ".join(page.text(cell) for cell in row) for row in table.iter("tr")]


def import_v2(session, entry: dict) -> None:
    import_catalog(session, {"format": "district-portal-catalog/2", "procedures": [entry]})
    session.commit()


def copy_answers(pages="5", copies="3", **overrides) -> dict:
    return {**applicant_answers(applicant_office=OFFICE), "document_title": "Bằng tốt nghiệp",
            "pages": pages, "copies_wanted": copies, **overrides}


def draft_copy(rc: ClientRequest, **answers) -> str:
    _, public_id = start_draft(rc, COPY)
    save(rc, public_id, copy_answers(**answers))
    upload(rc, public_id, "ban_chup", pdf_bytes())
    return public_id


def test_the_check_page_shows_the_fee_lines_the_answers_make(resident_client):
    public_id = draft_copy(resident_client, pages="5", copies="3")
    page = resident_client.get(f"/my/dossiers/{public_id}/review")
    assert fee_rows(page)[1:] == [
        "Phí chứng thực bản sao từ bản chính – trang thứ nhất và thứ hai | 6 × 2.000 đồng | "
        "12.000 đồng",
        "Phí chứng thực bản sao từ bản chính – từ trang thứ ba | 9 × 1.000 đồng | 9.000 đồng",
        "Tổng cộng | 21.000 đồng"]


def test_fee_lines_and_total_are_stored_at_submission(resident_client, session):
    public_id = draft_copy(resident_client, pages="200", copies="2")
    submit(resident_client, public_id)
    d = dossier_of(session, public_id)
    assert d.fee == 400_000 and d.payment_state == "unpaid"
    assert d.fee_lines == [{"label": "Phí chứng thực bản sao từ bản chính", "quantity": 2,
                            "unit_amount": 200_000, "amount": 400_000, "capped": True}]


def test_the_resident_and_staff_dossier_pages_show_the_stored_lines(app, resident_client,
                                                                    session):
    public_id = draft_copy(resident_client, pages="4", copies="1")
    submit(resident_client, public_id)
    rows = fee_rows(resident_client.get(f"/my/dossiers/{public_id}"))
    assert "Phí chứng thực bản sao từ bản chính – trang thứ nhất và thứ hai | 2 × 2.000 đồng | " \
        "4.000 đồng" in rows
    assert rows[-1] == "Tổng cộng | 6.000 đồng"
    staff = app.test_client()
    login(staff, user_by_email(session, "clerk@demo.test"))
    d = dossier_of(session, public_id)
    staff_rows = fee_rows(ClientRequest(staff).get(f"/staff/dossiers/{d.code}"))
    assert "Phí chứng thực bản sao từ bản chính – từ trang thứ ba | 2 × 1.000 đồng | " \
        "2.000 đồng" in staff_rows
    assert staff_rows[-1] == "Tổng cộng | 6.000 đồng"


def test_form_01_prints_the_fee_lines_and_the_total_in_words(app, resident_client, session):
    public_id = draft_copy(resident_client, pages="5", copies="3")
    submit(resident_client, public_id)
    workflow_act(app, session, public_id, "accept", user_by_email(session, "clerk@demo.test"))
    response = resident_client.client.get(f"/my/dossiers/{public_id}/receipt.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1  # signatures stay on page 1
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "6. Phí, lệ phí: 21.000 đồng" in text
    assert "Hai mươi mốt nghìn đồng" in text
    assert ("Gồm: Phí chứng thực bản sao từ bản chính – trang thứ nhất và thứ hai: 6 × 2.000 "
            "đồng = 12.000 đồng; Phí chứng thực bản sao từ bản chính – từ trang thứ ba: 9 × "
            "1.000 đồng = 9.000 đồng.") in text


def test_birth_registration_on_time_is_free_and_says_why(resident_client, session):
    public_id = file_dossier(resident_client)
    d = dossier_of(session, public_id)
    assert d.fee == 0 and d.payment_state == "none"
    assert d.fee_lines == [{"label": "Lệ phí đăng ký khai sinh quá hạn", "quantity": 1,
                            "unit_amount": 0, "amount": 0,
                            "exempt": "Đăng ký khai sinh đúng hạn"}]
    page = resident_client.get(f"/my/dossiers/{public_id}")
    assert "Miễn phí: Đăng ký khai sinh đúng hạn" in page.text()


def test_a_late_birth_registration_pays_the_fee(resident_client, session):
    public_id = file_dossier(resident_client,
                             answers=birth_answers(late_registration="y"))
    d = dossier_of(session, public_id)
    assert d.fee == 8000 and d.payment_state == "unpaid"
    assert d.fee_lines[0]["amount"] == 8000


def test_a_missing_count_is_explained_on_the_check_page_and_refused_at_submission(
        resident_client, session):
    entry = demo_procedure(COPY)
    entry.update(code="9.200001", name="Chứng thực thử", offices=[OFFICE])
    entry["fields"][1]["required"] = False  # the page count may be left empty
    import_v2(session, entry)
    _, public_id = start_draft(resident_client, "9.200001")
    save(resident_client, public_id, {**applicant_answers(), "document_title": "Học bạ",
                                      "pages": "", "copies_wanted": "2"})
    upload(resident_client, public_id, "ban_chup", pdf_bytes())
    page = resident_client.get(f"/my/dossiers/{public_id}/review")
    fee = page.by_id("fee-error")
    assert "Nhập “Số trang”: lệ phí phụ thuộc vào thông tin này." in page.text(fee)
    assert fee.find(".//a").get("href").endswith("/edit#in-pages")
    assert page.find(".//input[@name='nonce']") is None  # no submit button
    after = submit(resident_client, public_id,
                   expected_redirect=f"/my/dossiers/{public_id}/review")
    assert "Nhập “Số trang”" in after.text()
    assert dossier_of(session, public_id).status == "draft"


def test_a_procedure_of_format_1_keeps_its_fixed_fee(resident_client, session):
    entry = demo_procedure(COPY)
    entry.update(code="9.200002", name="Thủ tục cũ", offices=[OFFICE], fee=12000,
                 fee_note="Mức thu cũ.", steps=["Nộp hồ sơ."])
    entry["result"].pop("by_post", None)
    import_procedure(session, entry, fmt="district-portal-catalog/1")
    _, public_id = start_draft(resident_client, "9.200002")
    save(resident_client, public_id, {**applicant_answers(), "document_title": "Học bạ",
                                      "pages": "3", "copies_wanted": "2"})
    upload(resident_client, public_id, "ban_chup", pdf_bytes())
    review = resident_client.get(f"/my/dossiers/{public_id}/review")
    assert fee_rows(review)[1] == "Phí, lệ phí | 1 × 12.000 đồng | 12.000 đồng"
    submit(resident_client, public_id)
    d = dossier_of(session, public_id)
    assert d.fee == 12000
    assert d.fee_lines == [{"label": None, "quantity": 1, "unit_amount": 12000,
                            "amount": 12000}]


def test_the_handbook_page_explains_tiers_cap_and_exemption(client):
    copy_page = client.get(f"/procedures/{COPY}").get_data(as_text=True)
    assert "trang thứ nhất và thứ hai 2.000 đồng" in copy_page
    assert "tối đa 200.000 đồng cho mỗi đơn vị “Số bản sao cần chứng thực”" in copy_page
    birth = client.get("/procedures/1.001193").get_data(as_text=True)
    assert "Miễn phí khi: Đăng ký khai sinh đúng hạn" in birth
    assert "Có thể nộp trực tuyến." in birth
    marital = client.get("/procedures/1.004873").get_data(as_text=True)
    assert "Lệ phí cấp Giấy xác nhận tình trạng hôn nhân: 15.000 đồng</li>" in \
        " ".join(marital.split()).replace(" </li>", "</li>")


def test_the_counter_check_page_shows_the_bill_too(app, session):
    from tests.helpers import csrf_token

    staff = app.test_client()
    login(staff, user_by_email(session, "clerk@demo.test"))
    token = csrf_token(staff, "/staff/counter")
    started = staff.post("/staff/counter", data={"csrf_token": token, "procedure": COPY})
    assert started.status_code == 303
    edit_url = started.headers["Location"]
    answers = copy_answers(pages="3", copies="2")
    answers.pop("applicant_office")
    assert staff.post(edit_url, data={**answers, "csrf_token": token}).status_code == 303
    base = edit_url.rsplit("/edit", 1)[0]
    uploaded = staff.post(f"{base}/documents/ban_chup", content_type="multipart/form-data",
                          data={"csrf_token": token,
                                "ban_chup": (io.BytesIO(pdf_bytes()), "ban-chup.pdf")})
    assert uploaded.status_code == 303
    rows = fee_rows(ClientRequest(staff).get(f"{base}/review"))
    assert "Phí chứng thực bản sao từ bản chính – từ trang thứ ba | 2 × 1.000 đồng | " \
        "2.000 đồng" in rows
    assert rows[-1] == "Tổng cộng | 10.000 đồng"
