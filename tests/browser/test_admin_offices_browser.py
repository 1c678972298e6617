"""The province admin runs the offices from a browser (issue 13, item 3), without
JavaScript: creates a ward (a wrong opening period first, refused with what was typed kept),
edits a commune's opening hours, imports the province's communes from the official list and
deactivates a ward with the new one as its successor, which the procedure page then shows;
installs Lạc Sơn's own signing certificate (a wrong password first, refused beside the field).
Screenshots at 360 and 1366 px (into $PORTAL_SCREENSHOTS when set, for a person to look at)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.conftest import require_chromium
from tests.test_admin_office_certificates import _p12

WIDTHS = (360, 1366)
NEW = "000.00.09.T25"


def _shots(page, folder: Path, name: str) -> None:
    """Both widths; nothing may stick out sideways on a 360 px phone."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(200)
        page.screenshot(path=str(folder / f"offices-{name}-{width}.png"), full_page=True)
        wide = page.locator("html").evaluate("e => e.scrollWidth")
        assert wide <= width, (name, width, wide)
    page.set_viewport_size({"width": 1366, "height": 800})


def test_a_province_admin_creates_edits_imports_and_merges_offices(
        live_server, browser_as, tmp_path):
    require_chromium()
    base = live_server.config["LIVE_URL"]
    shots = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser_as("admin.tinh@demo.test")
    certs = tmp_path / "certs"
    certs.mkdir()
    live_server.config["SIGNING_P12_DIR"] = str(certs)

    page.goto(base + "/admin/")
    page.click(".admin-sections a:text-is(\"Cơ quan\")")
    assert page.url.endswith("/admin/offices/")
    _shots(page, shots, "list")

    # A new ward: an opening period that ends before it starts is refused, the rest is kept.
    page.click("text=Thêm cơ quan")
    page.fill("#agency_code", NEW)
    page.fill("#name", "UBND phường Nông Trang")
    page.select_option("#kind", "commune")
    page.fill("#admin_unit_code", "7894")  # its official code: the import will keep it
    page.fill("#address", "Phường Nông Trang, tỉnh Phú Thọ")
    page.fill("#phone", "0210 3855 009")
    page.fill("#hours", "07:30-11:30, 17:00-13:30")
    page.fill("#postage", "22000")
    page.click("button.primary")
    assert "kết thúc trước khi bắt đầu" in page.inner_text("main")
    assert page.input_value("#name") == "UBND phường Nông Trang"
    assert page.input_value("#hours") == "07:30-11:30, 17:00-13:30"
    _shots(page, shots, "new-refused")
    page.fill("#hours", "07:30-11:30, 13:30-17:00")
    page.click("button.primary")
    assert "Đã thêm cơ quan UBND phường Nông Trang" in page.inner_text("main")
    assert page.locator(f'[id="office-{NEW}"]').count() == 1

    # Lạc Sơn opens earlier in the afternoon.
    page.click('[id="office-000.00.06.T25"] >> a >> nth=0')
    assert page.input_value("#hours") == "07:30-11:30, 13:30-17:00"
    page.fill("#hours", "07:00-11:00; 13:00-16:30")
    _shots(page, shots, "edit")
    page.click("button.primary")
    assert "Đã lưu thông tin UBND xã Lạc Sơn" in page.inner_text("main")
    page.goto(base + "/offices")
    assert "07:00–11:00, 13:00–16:30" in page.inner_text("main")

    _install_certificate(page, base, shots, certs)

    # The province's communes from the official list, with provisional codes.
    page.goto(base + "/admin/offices/")
    page.click("text=Nhập các xã của tỉnh")
    text = page.inner_text("main")
    assert "Đã nhập danh sách xã:" in text and "5 đã có" in text
    assert "Mã tạm: chưa nhận hồ sơ" in text and text.count("UBND phường Nông Trang") == 1
    _shots(page, shots, "imported")

    # Tân Hòa merges into the new ward.
    page.click('[id="office-000.00.05.T25"] >> text=Ngừng hoạt động')
    page.select_option("#successor", NEW)
    page.fill("#note", "Nghị quyết sắp xếp đơn vị hành chính cấp xã")
    _shots(page, shots, "deactivate")
    page.click("button.danger")
    text = page.inner_text("main")
    assert "Đã ngừng hoạt động UBND phường Tân Hòa" in text
    row = page.inner_text('[id="office-000.00.05.T25"]')
    assert "Đã ngừng hoạt động" in row and "UBND phường Nông Trang" in row
    merged = page.locator('[id="office-000.00.05.T25"]')
    page.set_viewport_size({"width": 360, "height": 800})
    merged.screenshot(path=str(shots / "offices-merged-row-360.png"))
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(base + "/procedures/1.000894")
    main = page.inner_text("main")
    assert "UBND phường Nông Trang" in main and "UBND phường Tân Hòa" not in main
    _shots(page, shots, "procedure")


def _install_certificate(page, base: str, shots: Path, certs: Path) -> None:
    """Lạc Sơn's own signing certificate: a wrong password is refused beside its field and
    nothing is written; then it is installed and the page shows what it says."""
    data = _p12("UBND xã Lạc Sơn", "mật-khẩu-ký")
    upload = {"name": "lac-son.p12", "mimeType": "application/x-pkcs12", "buffer": data}
    page.goto(base + "/admin/offices/000.00.06.T25")
    assert "chưa được ký số" in page.inner_text("#signing-certificate")
    page.set_input_files("#certificate", files=[upload])
    page.fill("#certificate_password", "sai-mật-khẩu")
    page.click("#signing-certificate button.primary")
    assert "Mật khẩu không mở được" in page.inner_text("#signing-certificate")
    assert list(certs.iterdir()) == []
    _shots(page, shots, "certificate-refused")
    page.set_input_files("#certificate", files=[upload])
    page.fill("#certificate_password", "mật-khẩu-ký")
    page.click("#signing-certificate button.primary")
    assert "Đã cài chứng thư số của UBND xã Lạc Sơn" in page.inner_text("main")
    block = page.inner_text("#signing-certificate")
    assert "UBND xã Lạc Sơn" in block and "Của riêng cơ quan" in block
    assert "Dấu vân tay SHA-256" in block
    assert (certs / "000.00.06.T25.p12").read_bytes() == data
    _shots(page, shots, "certificate")
