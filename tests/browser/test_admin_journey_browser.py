"""Issue 13's whole journey in a real browser, nothing done behind the browser's back but
reading the outbox as the mail sender would:

1. the province admin creates a procedure, builds three questions (one shown only for one
   answer of another) and a required document, a result template, and publishes it;
2. creates a clerk for the receiving office, who sets a password from the emailed link,
   logs in and sets up the two-step login;
3. a resident files the new procedure online (the conditional question answered);
4. the new clerk finds the dossier in the inbox and accepts it;
5. the admin raises the procedure to fully online with the province's decision, and /stats
   shows the change with the deciding document.
The staff pages run without JavaScript, the resident's with it (each path is covered by the
sections' own tests both ways); screenshots at 360 and 1366 px."""

from __future__ import annotations

import re
from datetime import date

import pyotp
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Dossier, Notification, ProcedureLevelChange
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_counter_browser import _screenshots, _shots_dir
from tests.factories import TINY_PDF
from tests.helpers import pass_two_factor_in_browser

CODE = "9.900321"
OFFICE = "000.00.06.T25"  # Xã Lạc Sơn: the new clerk's office, the procedure's only one
CLERK_EMAIL = "luong.van.moi@ubnd-lacson.vn"
CLERK_PASSWORD = "nuong-ray-mua-moi-2026"
FORM = f"/admin/procedures/{CODE}/form"


def _page(chromium, js: bool):
    context = chromium.new_context(java_script_enabled=js, accept_downloads=True,
                                   locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.js_enabled = js
    return context, page


def _login(page, base: str, login: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/account/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_load_state()


def _submit(page) -> None:
    page.click("main button.primary")
    page.wait_for_load_state()


def _create_procedure(admin, base: str, shots) -> None:
    admin.goto(base + "/admin/procedures/new")
    admin.fill("#code", CODE)
    admin.fill("#name", "Đăng ký tổ chức sự kiện văn hóa cộng đồng")
    admin.fill("#field", "Văn hóa")
    admin.fill("#processing_amount", "5")
    admin.check(f"input[name=offices][value='{OFFICE}']")
    admin.select_option("#online_level", "partial")
    admin.fill("#fee", "0")
    admin.fill("#result_name", "Giấy xác nhận đăng ký sự kiện")
    _submit(admin)
    assert admin.url.endswith(f"/admin/procedures/{CODE}"), admin.inner_text("main")[:800]
    assert "Chưa công bố" in admin.inner_text("#state")


def _add_field(admin, base: str, **values) -> None:
    admin.goto(f"{base}{FORM}/new/fields")
    admin.fill("#in-label", values["label"])
    admin.fill("#in-key", values["key"])
    admin.select_option("#in-type", values["type"])
    if values.get("options"):
        admin.fill("#in-options", values["options"])
    if values.get("visible_field"):
        admin.select_option("#in-visible_field", values["visible_field"])
        admin.fill("#in-visible_equals", values["visible_equals"])
    if values.get("required"):
        admin.check("#in-required")
    _submit(admin)
    assert "error" not in (admin.get_attribute("main", "class") or "")
    assert values["label"] in admin.inner_text("main"), admin.inner_text("main")[:800]


def _build_form(admin, base: str, shots) -> None:
    _add_field(admin, base, label="Tên sự kiện", key="ten_su_kien", type="text",
               required=True)
    _add_field(admin, base, label="Có dùng loa, âm thanh ngoài trời không?", key="am_thanh",
               type="radio", options="co | Có\nkhong | Không", required=True)
    _add_field(admin, base, label="Số loa dự kiến", key="so_loa", type="number",
               visible_field="am_thanh", visible_equals="co", required=True)
    admin.goto(f"{base}{FORM}/new/documents")
    admin.fill("#in-name", "Kế hoạch tổ chức sự kiện")
    admin.fill("#in-key", "ke_hoach")
    admin.check("#in-mandatory")
    _submit(admin)
    admin.goto(f"{base}{FORM}/result")
    admin.fill("#in-template", "<h1>GIẤY XÁC NHẬN</h1>\n<p>Sự kiện: {{ answers.ten_su_kien }}</p>")
    _submit(admin)
    admin.goto(base + FORM)
    _screenshots(admin, shots, "journey-form")
    admin.click("button:has-text('Lưu thành phiên bản mới')")
    admin.wait_for_load_state()
    assert "Đã lưu thành phiên bản" in admin.inner_text("main")
    admin.goto(f"{base}/admin/procedures/{CODE}/publish")
    _submit(admin)
    assert "Chưa công bố" not in admin.inner_text("#state")


def _create_clerk(admin, chromium, app, base: str, shots):
    admin.goto(base + "/admin/staff/new")
    admin.fill("#full_name", "Lương Văn Mới")
    admin.fill("#email", CLERK_EMAIL)
    admin.fill("#job_title", "Công chức Văn hóa - Xã hội")
    admin.select_option("#office", OFFICE)
    admin.check("input[name=roles][value=clerk]")
    _submit(admin)
    assert f"Đã gửi đường dẫn đặt mật khẩu tới {CLERK_EMAIL}" in admin.inner_text("main")
    with get_db(app).transaction(write=False) as session:
        note = session.scalars(select(Notification).where(
            Notification.recipient == CLERK_EMAIL)).one()
        link = re.search(r"(https?://\S+/account/reset/\S+)", note.text).group(1)
    context, clerk = _page(chromium, js=False)
    clerk.goto(link)
    clerk.fill("#password", CLERK_PASSWORD)
    clerk.fill("#confirm", CLERK_PASSWORD)
    clerk.click("button.primary")
    clerk.wait_for_url("**/account/login")
    _login(clerk, base, CLERK_EMAIL, CLERK_PASSWORD)
    clerk.wait_for_url("**/two-factor/setup")
    secret = clerk.inner_text("#secret").replace(" ", "")
    clerk.fill("#code", pyotp.TOTP(secret).now())
    clerk.click("button.primary")
    clerk.click("text=Tôi đã lưu")
    clerk.wait_for_load_state()
    return context, clerk


def _resident_files(chromium, base: str, tmp_path, shots) -> str:
    context, page = _page(chromium, js=True)
    try:
        _login(page, base, "resident@demo.test")
        page.goto(f"{base}/procedures/{CODE}")
        assert "Đăng ký tổ chức sự kiện văn hóa cộng đồng" in page.inner_text("main")
        page.click("button:has-text('Nộp hồ sơ trực tuyến')")
        page.wait_for_url("**/edit")
        if page.is_visible("#in-applicant_type-1"):
            page.check("#in-applicant_type-1")
        if not page.input_value("#in-applicant_id_number"):
            page.fill("#in-applicant_id_number", "025190004321")
        page.select_option("select[name='applicant_commune.province']", "25")
        page.wait_for_selector("select[name='applicant_commune'] option[value='4795']",
                               state="attached")
        page.select_option("select[name='applicant_commune']", "4795")
        page.fill("#in-applicant_street", "Xóm Bãi, tổ 2")
        if not page.input_value("#in-applicant_phone"):
            page.fill("#in-applicant_phone", "0915 246 810")
        page.fill("#in-ten_su_kien", "Hội làng mừng lúa mới")
        assert page.is_hidden("#f-so_loa")  # shown only when loudspeakers are used
        page.check("#in-am_thanh-1")
        assert page.is_visible("#f-so_loa")
        page.fill("#in-so_loa", "4")
        _screenshots(page, shots, "journey-resident-answers")
        page.click("button[value=next]")
        page.wait_for_load_state()
        assert page.url.split("?")[0].endswith("/documents"), page.inner_text("main")[:1500]
        plan = tmp_path / "ke-hoach.pdf"
        plan.write_bytes(TINY_PDF)
        page.set_input_files("#in-ke_hoach", str(plan))
        page.click("button:has-text('Tiếp tục: kiểm tra')")
        page.wait_for_url("**/review")
        assert "Số loa dự kiến" in page.inner_text("main") and "ke-hoach.pdf" in page.inner_text(
            "main")
        page.click("button:has-text('Nộp hồ sơ')")
        page.wait_for_url("**?filed=1")
        return page.locator(".big").all_inner_texts()[0].strip()
    finally:
        context.close()


def _raise_to_full(admin, base: str, shots) -> None:
    admin.goto(f"{base}/admin/procedures/{CODE}/level")
    admin.select_option("#new_level", "full")
    admin.fill("#decision_no", "2468/QĐ-UBND")
    admin.fill("#decision_date", date.today().strftime("%d/%m/%Y"))
    admin.fill("#reason", "Cung cấp dịch vụ công trực tuyến toàn trình theo quyết định của tỉnh")
    _submit(admin)
    assert "2468/QĐ-UBND" in admin.inner_text("#level-changes"), admin.inner_text("main")[:800]


def test_an_admin_builds_a_procedure_a_resident_files_it_a_new_clerk_receives_it(
        live_server, chromium, tmp_path):
    app, base, shots = live_server, live_server.config["LIVE_URL"], _shots_dir(tmp_path)
    admin_context, admin = _page(chromium, js=False)
    clerk_context = None
    try:
        _login(admin, base, "admin.tinh@demo.test")
        pass_two_factor_in_browser(admin)
        admin.wait_for_url("**/account/")
        _create_procedure(admin, base, shots)
        _build_form(admin, base, shots)
        clerk_context, clerk = _create_clerk(admin, chromium, app, base, shots)

        code = _resident_files(chromium, base, tmp_path, shots)

        clerk.goto(base + "/staff/inbox")
        assert code in clerk.inner_text("main")
        _screenshots(clerk, shots, "journey-clerk-inbox")
        clerk.goto(f"{base}/staff/dossiers/{code}")
        assert "Hội làng mừng lúa mới" in clerk.inner_text("main")
        clerk.click("#act-accept button[type=submit]")
        clerk.wait_for_load_state()
        with get_db(app).transaction(write=False) as session:
            dossier = session.scalar(select(Dossier).where(Dossier.code == code))
            assert str(dossier.status) == "accepted"
            assert dossier.receiving_office.agency_code == OFFICE
            assert dossier.procedure_version.data["fields"][2]["visible_if"] == {
                "field": "am_thanh", "equals": "co"}

        _raise_to_full(admin, base, shots)
        with get_db(app).transaction(write=False) as session:
            change = session.scalars(select(ProcedureLevelChange).order_by(
                ProcedureLevelChange.id.desc())).first()
            assert (change.old_level, change.new_level, change.decision_no) == (
                "partial", "full", "2468/QĐ-UBND")
        admin.goto(base + "/stats")
        changes = admin.inner_text("#level-changes")
        assert CODE in changes and "Quyết định số 2468/QĐ-UBND" in changes
        _screenshots(admin, shots, "journey-stats")
    finally:
        admin_context.close()
        if clerk_context is not None:
            clerk_context.close()
