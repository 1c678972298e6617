"""The office works an online dossier to the end in a real browser (no JavaScript): a resident
files, the clerk accepts, asks for a supplement, the resident supplies it, the clerk assigns an
officer, the officer prepares the result, the leader issues it, the clerk returns it by post;
every slip and the result are downloaded and read, and the result is verified on /verify."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Dossier
from tests.factories import TINY_PDF

PDF = TINY_PDF  # a well-formed one-page PDF: uploads are checked by their structure



def _pdf_text(page, link_text: str, tmp_path) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(f"a:has-text('{link_text}')")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    data = path.read_bytes()
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages), data


def _act(page, action: str, **fields) -> None:
    form = f"#act-{action}"
    for name, value in fields.items():
        selector = f"{form} [name$={name}]"  # inputs carry the action as a prefix
        if page.locator(selector).first.evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, label=value)
        elif page.locator(selector).first.get_attribute("type") == "radio":
            page.check(f"{form} input[name$={name}][value={value}]")
        else:
            page.fill(selector, value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    assert "flash" in page.content()


def test_a_dossier_goes_from_online_filing_to_a_verified_result(live_server, browser_as,
                                                              tmp_path):
    base = live_server.config["LIVE_URL"]

    # The resident files online.
    resident = browser_as("resident@demo.test")
    resident.goto(base + "/procedures/1.001193")
    resident.click("button:has-text('Nộp hồ sơ trực tuyến')")
    resident.wait_for_url("**/edit")
    resident.check("#in-applicant_type-1")
    resident.fill("#in-applicant_name", "Hoàng Thị Dân")
    resident.fill("#in-applicant_id_number", "025190000777")
    resident.fill("#in-applicant_phone", "0987 654 321")
    resident.select_option("select[name='applicant_commune.province']", "25")
    resident.click("#f-applicant_commune button[value=refresh]")
    resident.select_option("select[name='applicant_commune']", "4795")
    resident.select_option("#in-applicant_office", "000.00.04.T25")
    resident.select_option("#in-relation_to_child", "me")
    for key, value in (("child_name", "Hoàng Gia Bảo"), ("child_birth_date", "2026-11-02"),
                       ("child_birth_place", "Trạm y tế phường Hòa Bình"),
                       ("child_ethnicity", "Mường"), ("mother_name", "Hoàng Thị Dân"),
                       ("mother_id_number", "025190000777")):
        resident.fill(f"#in-{key}", value)
    resident.check("#in-child_sex-2")
    resident.select_option("select[name='residence_commune.province']", "25")
    resident.click("#f-residence_commune button[value=refresh]")
    resident.select_option("select[name='residence_commune']", "4795")
    resident.click("button[value=next]")
    resident.wait_for_url("**/documents")
    scan = tmp_path / "chung-sinh.pdf"
    scan.write_bytes(PDF)
    resident.set_input_files("#in-giay_chung_sinh", str(scan))
    resident.click("#doc-giay_chung_sinh button:has-text('Tải lên')")
    resident.click("text=Tiếp tục: kiểm tra")
    resident.click("button:has-text('Nộp hồ sơ')")
    resident.wait_for_url("**?filed=1")
    code = resident.locator(".big").first.inner_text().strip()
    dossier_url = resident.url.split("?")[0]

    # The clerk finds it in the inbox and accepts it: form 01 carries the due date.
    clerk = browser_as("clerk@demo.test")
    clerk.goto(base + "/staff/inbox")
    clerk.click(f"a:has-text('{code}')")
    _act(clerk, "accept")
    text, _ = _pdf_text(clerk, "mẫu 01", tmp_path)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text and code in text
    assert "Hoàng Thị Dân" in text

    # The clerk asks for a clearer birth certificate: form 02 says so.
    _act(clerk, "request_supplement", reason="Bản chụp Giấy chứng sinh bị mờ, đề nghị chụp lại.")
    text, _ = _pdf_text(clerk, "mẫu 02", tmp_path)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Bản chụp Giấy chứng sinh bị mờ" in text

    # The resident sees the request, uploads a new scan and sends the supplement.
    resident.goto(dossier_url)
    assert "Bản chụp Giấy chứng sinh bị mờ" in resident.inner_text("main")
    resident.click("text=Bổ sung hồ sơ")
    resident.set_input_files("#in-giay_chung_sinh", str(scan))
    resident.click("#doc-giay_chung_sinh button:has-text('Tải lên')")
    resident.click("button:has-text('Gửi bổ sung')")
    resident.wait_for_url(dossier_url)
    assert "Đã bổ sung hồ sơ" in resident.inner_text("main")

    # The clerk assigns the officer; the officer prepares the result from the template.
    clerk.reload()
    _act(clerk, "assign", officer="Trần Văn Chuyên Viên")
    officer = browser_as("officer@demo.test")
    officer.goto(f"{base}/staff/dossiers/{code}")
    officer.click("text=Chuẩn bị và ban hành kết quả")
    officer.click("button:has-text('Tạo kết quả từ mẫu')")
    officer.wait_for_load_state()

    # The leader issues it.
    leader = browser_as("leader@demo.test")
    leader.goto(f"{base}/staff/dossiers/{code}/result")
    leader.click("button:has-text('Ban hành kết quả này')")
    leader.wait_for_load_state()
    leader.goto(f"{base}/staff/dossiers/{code}")
    assert "Đã có kết quả" in leader.inner_text("main")

    # The clerk returns it by post with a waybill number.
    clerk.reload()
    _act(clerk, "return_result", way="post", address="Tổ 5, phường Hòa Bình, Phú Thọ",
         waybill="EV123456789VN")
    assert "Đã trả kết quả" in clerk.inner_text("main")
    text, _ = _pdf_text(clerk, "mẫu 05", tmp_path)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text and code in text

    # The resident downloads the result: the birth certificate with the child's name, its
    # register number and signer; an official document, so no dossier code on it.
    resident.goto(dossier_url)
    text, result = _pdf_text(resident, "Tải kết quả", tmp_path)
    assert "GIẤY KHAI SINH" in text and "HOÀNG GIA BẢO" in text and code not in text
    assert "Số: 1/" in text and "Lê Văn Lãnh Đạo" in text

    # Anyone can check it on /verify, by upload and by the QR code's address.
    page = browser_as("resident@demo.test")
    page.goto(base + "/verify")
    result_path = tmp_path / "ket-qua.pdf"
    result_path.write_bytes(result)
    page.set_input_files("#document", str(result_path))
    page.click("button:has-text('Kiểm tra')")
    checked = page.inner_text("main")
    assert "Hợp lệ" in checked and code in checked
    for personal in ("025190000777", "0987 654 321", "0987654321", "+84987654321"):
        assert personal not in checked
    with live_server.app_context(), get_db(live_server).transaction(write=False) as session:
        token = session.scalar(select(Dossier.verification_token).where(Dossier.code == code))
    page.goto(f"{base}/verify/{token}")
    assert code in page.inner_text("main") and "Hoàng Thị Dân" not in page.inner_text("main")
