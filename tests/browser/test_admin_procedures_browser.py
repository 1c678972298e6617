"""A province admin runs the catalogue from the browser (issue 13): lists and searches the
procedures, creates one (a refused code first, what was typed kept), edits it into a new
version, changes its online level with the deciding document, compares two versions, and
sees the change with its decision on /stats. With JavaScript off and on; screenshots at 360
and 1366 px (into $PORTAL_SCREENSHOTS when set, for a person to look at)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.conftest import DEMO_PASSWORD
from tests.helpers import pass_two_factor_in_browser

WIDTHS = (360, 1366)
CODE = "9.900002"


def _shots_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _screenshots(page, folder: Path, name: str) -> None:
    """Both widths; nothing may stick out sideways on a 360 px phone."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(200)
        js = "js" if page.js_enabled else "nojs"
        page.screenshot(path=str(folder / f"admin-proc-{name}-{js}-{width}.png"), full_page=True)
        wide = page.locator("html").evaluate("e => e.scrollWidth")
        assert wide <= width, (name, width, wide)
    page.set_viewport_size({"width": 1366, "height": 800})


def _login(page, base: str) -> None:
    page.goto(base + "/account/login")
    page.fill("#login", "admin.tinh@demo.test")
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    pass_two_factor_in_browser(page)
    page.wait_for_url("**/account/")


def _create(page, shots: Path) -> None:
    page.click("text=Thêm thủ tục")
    page.fill("#code", "1.001193")  # taken: refused beside the field, the rest kept
    page.fill("#name", "Cấp phép tổ chức lễ hội")
    page.fill("#field", "Văn hóa")
    page.fill("#processing_amount", "7")
    page.check("input[name=offices][value='000.00.04.T25']")
    page.select_option("#online_level", "partial")
    page.fill("#fee", "50.000")
    page.fill("#result_name", "Giấy phép tổ chức lễ hội")
    page.click("button.primary")
    assert "Đã có thủ tục mang mã 1.001193." in page.inner_text("#code-error")
    assert page.input_value("#name") == "Cấp phép tổ chức lễ hội"
    _screenshots(page, shots, "new-refused")
    page.fill("#code", CODE)
    page.click("button.primary")
    page.wait_for_url(f"**/admin/procedures/{CODE}")
    assert "Chưa công bố" in page.inner_text("#state")


def test_a_province_admin_lists_creates_edits_changes_the_level_and_compares(
        page, live_server, tmp_path):
    base, shots = live_server.config["LIVE_URL"], _shots_dir(tmp_path)
    _login(page, base)
    page.goto(base + "/admin/")
    page.click("a[href='/admin/procedures/']")
    page.fill("#q", "khai sinh")
    page.click("form.filters button")
    assert "1.001193" in page.inner_text("tbody") and "1.000894" not in page.inner_text("tbody")
    _screenshots(page, shots, "list")
    _create(page, shots)
    _screenshots(page, shots, "show")

    page.click("text=Sửa thông tin chung")
    page.fill("#name", "Cấp phép tổ chức lễ hội truyền thống")
    page.fill("#legal_basis", "Nghị định 110/2018/NĐ-CP")
    _screenshots(page, shots, "edit")
    page.click("button[name=save_version]")
    page.wait_for_url(f"**/admin/procedures/{CODE}")
    assert "Đã lưu thành phiên bản 2." in page.inner_text("main")

    page.click("text=Thay đổi mức độ trực tuyến")
    page.select_option("#new_level", "none")
    page.fill("#decision_no", "")
    page.fill("#reason", "Theo quyết định của UBND tỉnh")
    page.click("button.primary")
    assert "Nhập số văn bản quyết định." in page.inner_text("#decision_no-error")
    page.fill("#decision_no", "1234/QĐ-UBND")
    page.fill("#decision_date", "20/11/2026")
    _screenshots(page, shots, "level")
    page.click("button.primary")
    page.wait_for_url(f"**/admin/procedures/{CODE}")
    assert "1234/QĐ-UBND" in page.inner_text("#level-changes")

    page.click("text=Các phiên bản và khác biệt")
    page.check("#a-1")
    page.check("#b-3")
    page.click("text=Xem khác biệt")
    page.wait_for_url("**/diff?**")
    diff = page.inner_text("#diff")
    assert "Cấp phép tổ chức lễ hội truyền thống" in diff and "online_level" in diff
    assert "legal_basis" in diff
    _screenshots(page, shots, "diff")

    page.goto(base + f"/admin/procedures/{CODE}/publish")
    page.click("button.primary")
    page.wait_for_url(f"**/admin/procedures/{CODE}")
    page.goto(base + "/stats")
    changes = page.inner_text("#level-changes")
    assert "Quyết định số 1234/QĐ-UBND ngày 20/11/2026" in changes and CODE in changes
    _screenshots(page, shots, "stats")
