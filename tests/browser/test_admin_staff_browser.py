"""The commune admin creates a clerk in the admin console, without typing a password; the
clerk opens the emailed link (read from the outbox, as the mail sender would), chooses a
password, logs in, sets up the two-step login and reaches the staff pages. With JavaScript
off and on; screenshots at 360 and 1366 px (into $PORTAL_SCREENSHOTS when set)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyotp
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import AuditEntry, Notification
from tests.browser.conftest import DEMO_PASSWORD
from tests.helpers import pass_two_factor_in_browser

WIDTHS = (360, 1366)
EMAIL = "tran.thi.moi@ubnd-hoabinh.vn"
PASSWORD = "ruong-lua-xanh-2026"


def _shots(page, tmp_path, name: str) -> None:
    folder = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(200)
        js = "js" if page.js_enabled else "nojs"
        page.screenshot(path=str(folder / f"{name}-{js}-{width}.png"), full_page=True)
        wide = page.locator("html").evaluate("e => e.scrollWidth")
        assert wide <= width, (name, width, wide)
    page.set_viewport_size({"width": 1366, "height": 800})


def _emailed_link(app) -> str:
    with get_db(app).transaction(write=False) as session:
        note = session.scalars(select(Notification).where(Notification.recipient == EMAIL)).one()
        assert note.channel == "email"
        return re.search(r"(https?://\S+/account/reset/\S+)", note.text).group(1)


def test_an_admin_creates_a_clerk_who_sets_a_password_from_the_email_and_logs_in(
        live_server, page, chromium, tmp_path):
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/account/login")
    page.fill("#login", "admin@demo.test")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button.primary")
    pass_two_factor_in_browser(page)
    page.wait_for_url("**/account/")

    page.goto(base + "/admin/")
    page.click("text=Tài khoản cán bộ")
    page.click("text=Tạo tài khoản cán bộ")
    page.fill("#full_name", "Trần Thị Mới")
    page.fill("#email", "khong-dung")
    page.fill("#job_title", "Công chức Văn phòng - Thống kê")
    page.check("input[name=roles][value=clerk]")
    page.click("button.primary")
    assert "Nhập địa chỉ thư điện tử như" in page.inner_text("#errors")
    assert page.input_value("#full_name") == "Trần Thị Mới"  # what was typed is kept
    assert page.is_checked("input[name=roles][value=clerk]")
    _shots(page, tmp_path, "admin-staff-new-error")
    page.fill("#email", EMAIL)
    page.click("button.primary")
    page.wait_for_url("**/admin/staff/*")
    assert f"Đã gửi đường dẫn đặt mật khẩu tới {EMAIL}" in page.inner_text("main")
    _shots(page, tmp_path, "admin-staff-created")
    page.goto(base + "/admin/staff/")
    assert "Trần Thị Mới" in page.inner_text("table")
    _shots(page, tmp_path, "admin-staff-list")

    # The clerk, on their own browser, opens the link from the email.
    context = chromium.new_context(java_script_enabled=page.js_enabled, locale="vi-VN")
    clerk = context.new_page()
    clerk.set_default_timeout(15000)
    clerk.js_enabled = page.js_enabled
    clerk.goto(_emailed_link(live_server))
    clerk.fill("#password", PASSWORD)
    clerk.fill("#confirm", PASSWORD)
    clerk.click("button.primary")
    clerk.wait_for_url("**/account/login")
    clerk.fill("#login", EMAIL)
    clerk.fill("#password", PASSWORD)
    clerk.click("button.primary")
    clerk.wait_for_url("**/two-factor/setup")
    _shots(clerk, tmp_path, "new-clerk-two-factor-setup")
    secret = clerk.inner_text("#secret").replace(" ", "")
    clerk.fill("#code", pyotp.TOTP(secret).now())
    clerk.click("button.primary")
    clerk.click("text=Tôi đã lưu")
    clerk.goto(base + "/staff/worklist")
    assert clerk.url.endswith("/staff/worklist")
    assert "Trần Thị Mới" in clerk.inner_text("body")
    context.close()

    with get_db(live_server).transaction(write=False) as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert "user.create" in actions


def test_the_province_admin_finds_a_resident_and_reads_their_page(browser_as, live_server,
                                                                   tmp_path):
    base = live_server.config["LIVE_URL"]
    admin = browser_as("admin.tinh@demo.test")
    admin.js_enabled = False
    admin.goto(base + "/admin/residents/")
    admin.fill("#q", "Hoàng Thị")
    admin.click("button[type=submit] >> text=Tìm")
    assert "Hoàng Thị Dân" in admin.inner_text("table")
    _shots(admin, tmp_path, "admin-residents-search")
    admin.click("text=Hoàng Thị Dân")
    assert "Chỉ xem" in admin.inner_text("main")
    admin.click("button.danger")  # no reason given: refused, nothing changes
    assert "Hãy nêu lý do" in admin.inner_text("#errors")
    _shots(admin, tmp_path, "admin-resident-page")
    with get_db(live_server).transaction(write=False) as session:
        views = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "resident.view")).all()
    assert len(views) >= 3  # the result, the page, the page shown again with the refusal
