"""In a real browser, with JavaScript off and on: a late birth registration shows its fee on the
check page, the resident asks for the result by post, the clerk records the waybill on the
prefilled return form, /track shows it, and the resident rates the dossier.

Set PORTAL_SCREENSHOTS=<folder> to keep screenshots of each page at 360 and 1366 px."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Dossier, User
from district_portal.services.dossiers.workflow import perform
from tests.factories import TINY_PDF, add_prepared_result
from tests.helpers import pass_two_factor_in_browser

PASSWORD = "demo-portal-2026"
PDF = TINY_PDF  # a well-formed one-page PDF: uploads are checked by their structure


def shoot(page, name: str) -> None:
    """Full-page screenshots at a phone's and a desk PC's width (kept only when asked)."""
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    mode = "js" if page.js_enabled else "nojs"
    for width in (360, 1366):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=f"{folder}/{name}-{mode}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 800})


def login(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    pass_two_factor_in_browser(page)
    page.wait_for_url("**/account/")


def choose_commune(page, key: str) -> None:
    page.select_option(f"select[name='{key}.province']", "25")
    if page.js_enabled:
        page.wait_for_selector(f"select[name='{key}'] option[value='4795']", state="attached")
    else:
        page.click(f"#f-{key} button[value=refresh]")
        page.wait_for_load_state()
    page.select_option(f"select[name='{key}']", "4795")


def finish_with_staff(app, code: str) -> None:
    """Desk payment and the issued result, as the clerk and the leader would do them."""
    with app.test_request_context(), get_db(app).transaction() as session:
        d = session.scalar(select(Dossier).where(Dossier.code == code))
        clerk = session.scalar(select(User).where(User.email == "clerk@demo.test"))
        leader = session.scalar(select(User).where(User.email == "leader@demo.test"))
        perform(session, d, "pay", clerk, payment="desk")
        add_prepared_result(session, d, leader)
        perform(session, d, "complete", leader, result={"kind": "scan", "sha256": "0" * 64})


def test_fee_post_waybill_and_rating_in_a_browser(live_server, page, chromium, tmp_path):
    base = live_server.config["LIVE_URL"]
    js = page.js_enabled
    login(page, base, "resident@demo.test")
    page.goto(base + "/procedures/1.001193")
    assert "Miễn phí khi: Đăng ký khai sinh đúng hạn" in page.inner_text("main")
    shoot(page, "procedure")
    page.click("button:has-text('Nộp hồ sơ trực tuyến')")
    page.wait_for_url("**/edit")
    page.check("#in-applicant_type-1")
    page.fill("#in-applicant_name", "Hoàng Thị Dân")
    page.fill("#in-applicant_id_number", "025190000777")
    page.fill("#in-applicant_phone", "0987 654 321")
    choose_commune(page, "applicant_commune")
    page.fill("#in-applicant_street", "Số 7, tổ 2")
    page.select_option("#in-applicant_office", "000.00.04.T25")
    page.select_option("#in-relation_to_child", "me")
    for key, value in (("child_name", "Hoàng Gia Bảo"), ("child_birth_date", "2026-06-02"),
                       ("child_birth_place", "Trạm y tế phường Hòa Bình"),
                       ("child_ethnicity", "Mường"), ("mother_name", "Hoàng Thị Dân"),
                       ("mother_id_number", "025190000777")):
        page.fill(f"#in-{key}", value)
    page.check("#in-late_registration")
    page.check("#in-child_sex-2")
    choose_commune(page, "residence_commune")
    page.click("button[value=next]")
    page.wait_for_url("**/documents")
    scan = tmp_path / "chung-sinh.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("#in-giay_chung_sinh", str(scan))
    page.click("#doc-giay_chung_sinh button:has-text('Tải lên')")
    page.click("text=Tiếp tục: kiểm tra")
    page.wait_for_url("**/review")

    # The check page: the late-registration fee, and delivery by post at the office's postage.
    fee = page.inner_text("table.fee-lines")
    assert "Lệ phí đăng ký khai sinh quá hạn" in fee and "8.000 đồng" in fee
    assert page.is_hidden("#f-post_street")  # until post is chosen
    page.check("input[name=delivery_way][value=post]")
    if js:  # the address appears at once, prefilled from the applicant section
        assert page.is_visible("#in-post_street")
    page.click("button:has-text('Lưu cách nhận kết quả')")
    page.wait_for_url("**/review#delivery")
    assert "Đã lưu cách nhận kết quả" in page.inner_text("main")
    assert "Số 7, tổ 2, Phường Hòa Bình" in page.inner_text("#delivery")
    shoot(page, "review")
    page.click("button:has-text('Nộp hồ sơ')")
    page.wait_for_url("**?filed=1")
    code = page.locator(".big").first.inner_text().strip()
    dossier_url = page.url.split("?")[0]
    assert "Đã đăng ký; số vận đơn sẽ có khi kết quả được gửi đi." in page.inner_text("main")
    shoot(page, "dossier-filed")

    # The clerk accepts; payment at the desk and the result happen off screen.
    clerk = chromium.new_context(java_script_enabled=js).new_page()
    clerk.js_enabled = js
    login(clerk, base, "clerk@demo.test")
    clerk.goto(f"{base}/staff/dossiers/{code}")
    assert "8.000 đồng" in clerk.inner_text("table.fee-lines")
    clerk.click("#act-accept button[type=submit]")
    clerk.wait_for_load_state()
    finish_with_staff(live_server, code)
    clerk.goto(f"{base}/staff/dossiers/{code}")
    form = "#act-return_result"
    assert clerk.is_checked(f"{form} input[value=post]")
    assert "Số 7, tổ 2" in clerk.input_value(f"{form} input[name$=address]")
    clerk.fill(f"{form} input[name$=waybill]", "EV987654321VN")
    shoot(clerk, "staff-return")
    clerk.click(f"{form} button[type=submit]")
    clerk.wait_for_load_state()
    assert "Số vận đơn: EV987654321VN" in clerk.inner_text("main")

    # /track shows status, dates and office only (issue 11, item 12); the resident's own
    # dossier page shows the waybill, and there the resident rates the dossier.
    page.goto(base + "/track")
    page.fill("#lookup", code)
    page.fill("#phone", "0987 654 321")
    page.click("button:has-text('Tra cứu')")
    assert "Đã trả kết quả" in page.inner_text("#found")
    assert "EV987654321VN" not in page.inner_text("main")
    shoot(page, "track")
    page.goto(dossier_url)
    assert "EV987654321VN" in page.inner_text("main")
    shoot(page, "dossier-rate")
    page.check("input[name=rating][value='5']")
    page.fill("#comment", "Nhận qua bưu điện rất tiện.")
    page.click("button:has-text('Gửi đánh giá')")
    page.wait_for_url(dossier_url)
    assert "Đánh giá của ông/bà: Rất hài lòng." in page.inner_text("main")
    clerk.goto(f"{base}/staff/dossiers/{code}")
    assert "Rất hài lòng (5/5)" in clerk.inner_text("main")
    shoot(clerk, "staff-rated")
    clerk.context.close()
