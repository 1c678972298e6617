"""A resident on a weak phone files a dossier from start to finish in a real browser: register,
confirm the phone, fill every kind of field of "Đăng ký khai sinh", save a draft, resume it,
upload the birth certificate, submit, download the receipt and find the dossier on /track.
Run with JavaScript off and on."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Notification
from tests.factories import TINY_PDF

PDF = TINY_PDF  # a well-formed one-page PDF: uploads are checked by their structure
PHONE = "0912 345 678"


def _sms_code(app) -> str:
    with app.app_context(), get_db(app).transaction(write=False) as session:
        texts = session.scalars(select(Notification.text).where(
            Notification.channel == "sms").order_by(Notification.id.desc())).all()
    return re.search(r"\b(\d{6})\b", texts[0]).group(1)


def _choose_commune(page, key: str, province: str, commune: str) -> None:
    page.select_option(f"select[name='{key}.province']", province)
    if page.js_enabled:
        # The script fetches the province's communes at once. (A selector wait, not
        # wait_for_function: the page's CSP rightly forbids the eval that would need.)
        page.wait_for_selector(f"select[name='{key}'] option[value='{commune}']",
                               state="attached")
    else:
        # Without a script the server lists them after a save.
        page.click(f"#f-{key} button[value=refresh]")
        page.wait_for_load_state()
    page.select_option(f"select[name='{key}']", commune)


def test_a_resident_files_a_birth_registration_end_to_end(live_server, page, tmp_path):
    base = live_server.config["LIVE_URL"]
    js = page.js_enabled

    # Register, confirm the phone with the code from the SMS, log out, log in by phone.
    page.goto(base + "/account/register")
    page.fill("#full_name", "Nguyễn Thị Hằng")
    page.fill("#phone", PHONE)
    page.fill("#email", "hang@example.vn")
    page.fill("#password", "lúa-chín-vàng-2026")
    page.fill("#confirm", "lúa-chín-vàng-2026")
    page.check("#consent")
    page.click("button.primary")
    page.wait_for_url("**/account/verify-phone")
    page.fill("#code", _sms_code(live_server))
    page.click("form button.primary")
    page.wait_for_url("**/account/")
    page.click("nav button:has-text('Đăng xuất')")
    page.goto(base + "/account/login")
    page.fill("#login", PHONE)
    page.fill("#password", "lúa-chín-vàng-2026")
    page.click("button.primary")
    page.wait_for_url("**/account/")

    # Find the procedure and start filing.
    page.goto(base + "/procedures/1.001193")
    page.click("button:has-text('Nộp hồ sơ trực tuyến')")
    page.wait_for_url("**/edit")
    assert page.input_value("#in-applicant_name") == "Nguyễn Thị Hằng"
    assert page.input_value("#in-applicant_phone") == PHONE
    page.check("#in-applicant_type-1")
    page.fill("#in-applicant_id_number", "025190000123")
    _choose_commune(page, "applicant_commune", "25", "4795")
    page.fill("#in-applicant_street", "Tổ 5, phố Chợ")
    page.select_option("#in-applicant_office", "000.00.04.T25")
    page.select_option("#in-relation_to_child", "me")
    page.fill("#in-child_name", "Nguyễn Minh Khôi")
    page.fill("#in-child_birth_date", "2026-11-20")
    page.check("#in-child_sex-1")
    page.fill("#in-child_birth_place", "Bệnh viện Đa khoa tỉnh Phú Thọ")
    page.fill("#in-child_ethnicity", "Kinh")
    page.fill("#in-mother_name", "Nguyễn Thị Hằng")
    page.fill("#in-mother_id_number", "025190000123")
    _choose_commune(page, "residence_commune", "25", "4795")
    assert page.is_hidden("#f-father_name")
    page.check("#in-has_father")
    if js:
        assert page.is_visible("#f-father_name")  # shown at once by the script
    # Save the draft and leave.
    page.click("button[value=later]")
    page.wait_for_url("**/my/dossiers")
    assert "Bản nháp" in page.inner_text("main")

    # Resume: everything typed is still there; the father's fields are now shown.
    page.click("text=Đăng ký khai sinh")
    page.wait_for_url("**/edit")
    assert page.input_value("#in-child_name") == "Nguyễn Minh Khôi"
    assert page.input_value("#in-applicant_street") == "Tổ 5, phố Chợ"
    assert page.is_checked("#in-has_father")
    assert page.is_visible("#f-father_name")
    # A required dependant left empty is refused with a message that says what to do.
    page.click("button[value=next]")
    assert "Nhập họ và tên cha" in page.inner_text("#errors")
    assert page.input_value("#in-child_name") == "Nguyễn Minh Khôi"
    page.fill("#in-father_name", "Trần Văn Bình")
    page.fill("#in-father_id_number", "025190000456")
    page.click("button[value=next]")
    page.wait_for_url("**/documents")

    # Upload the birth certificate (one request), then check and submit.
    certificate = tmp_path / "giấy chứng sinh.pdf"
    certificate.write_bytes(PDF)
    page.set_input_files("#in-giay_chung_sinh", str(certificate))
    # With a script the file is already on its way: the button waits for it.
    page.click("#doc-giay_chung_sinh button:has-text('Tải lên')")
    page.wait_for_selector("#doc-giay_chung_sinh li:has-text('giấy chứng sinh.pdf')")
    page.wait_for_url("**/documents*")
    page.click("text=Tiếp tục: kiểm tra")
    page.wait_for_url("**/review")
    review = page.inner_text("main")
    for expected in ("Nguyễn Minh Khôi", "20/11/2026", "Nam", "Trần Văn Bình",
                     "Phường Hòa Bình, Phú Thọ", "giấy chứng sinh.pdf"):
        assert expected in review
    page.click("button:has-text('Nộp hồ sơ')")
    page.wait_for_url("**?filed=1")
    code, ref = [e.strip() for e in page.locator(".big").all_inner_texts()]
    assert re.fullmatch(r"000\.00\.04\.T25-\d{6}-0001", code)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", ref)

    # Download the receipt and read its text.
    with page.expect_download() as info:
        page.click("text=Tải phiếu tiếp nhận (PDF)")
    receipt = tmp_path / "receipt.pdf"
    info.value.save_as(receipt)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.read_bytes())).pages)
    assert "XÁC NHẬN NỘP HỒ SƠ TRỰC TUYẾN" in text
    assert code in text and "Nguyễn Thị Hằng" in text and "Đăng ký khai sinh" in text

    # Track it by the short code and the phone, typed carelessly.
    page.goto(base + "/track")
    page.fill("#lookup", ref.lower().replace("0", "o"))
    page.fill("#phone", "+84912345678")
    page.click("button:has-text('Tra cứu')")
    assert page.url == base + "/track"  # the code never goes into a URL
    found = page.inner_text("main")
    assert code in found and "Chờ tiếp nhận" in found
