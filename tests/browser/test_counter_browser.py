"""The counter clerk takes a walk-in without a mobile phone from the start to the printed
receipt in a real browser, pressing Enter to save the answers; then the dossier is found on
/track by its code and the applicant's ID number typed with spaces. With JavaScript off and
on; screenshots at 360 and 1366 px (into $PORTAL_SCREENSHOTS when set, for a person to look
at)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from pypdf import PdfReader

from tests.browser.conftest import DEMO_PASSWORD
from tests.factories import TINY_PDF
from tests.helpers import pass_two_factor_in_browser

PDF = TINY_PDF  # a well-formed one-page PDF (uploads are checked structurally)
DEATH = "1.000656"  # Đăng ký khai tử: free, one mandatory document
ID_TYPED = "025 190 000 777"
WIDTHS = (360, 1366)


def _shots_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _screenshots(page, folder: Path, name: str) -> None:
    """Both widths; nothing may stick out sideways on a 360 px phone."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(200)  # let the new width lay out and paint before the picture
        js = "js" if page.js_enabled else "nojs"
        page.screenshot(path=str(folder / f"{name}-{js}-{width}.png"), full_page=True)
        wide = page.locator("html").evaluate("e => e.scrollWidth")
        assert wide <= width, (name, width, wide)
    page.set_viewport_size({"width": 1366, "height": 800})


def _choose_commune(page, key: str, province: str, commune: str) -> None:
    page.select_option(f"select[name='{key}.province']", province)
    if page.js_enabled:
        # The same script as online filing fills the communes at once (issue 8, item 17).
        page.wait_for_selector(f"select[name='{key}'] option[value='{commune}']",
                               state="attached")
    else:
        page.click(f"#f-{key} button[value=refresh]")
        page.wait_for_load_state()
    page.select_option(f"select[name='{key}']", commune)


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.fill("#login", email)
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")  # Enter logs in, too
    pass_two_factor_in_browser(page)  # staff: the demo authenticator's code
    page.wait_for_url("**/account/")


def _pdf_text(page, selector: str, tmp_path) -> str:
    with page.expect_download() as info:
        page.click(selector)
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_a_walk_in_without_a_phone_is_filed_at_the_counter_and_tracked_by_id_number(
        live_server, page, chromium, tmp_path):
    base = live_server.config["LIVE_URL"]
    shots = _shots_dir(tmp_path)
    _login(page, base, "clerk@demo.test")

    # Start: the procedure the walk-in asks for.
    page.goto(base + "/staff/counter")
    page.select_option("#procedure", DEATH)
    page.click("main button.primary")
    page.wait_for_url("**/staff/counter/*/edit")
    edit_url = page.url
    phone_label = page.inner_text("label[for=in-applicant_phone]")
    assert "nếu người nộp có" in phone_label and "*" not in phone_label

    if page.js_enabled:
        # Dependent questions appear at once, as online (issue 8, item 17).
        page.check("#in-applicant_type-2")
        assert page.is_visible("#f-applicant_tax_code") and page.is_hidden("#f-applicant_id_number")
    # The applicant has an ID card but no phone.
    page.check("#in-applicant_type-1")
    assert page.is_visible("#f-applicant_id_number") and page.is_hidden("#f-applicant_tax_code")
    page.fill("#in-applicant_name", "Lò Văn Cụ")
    page.fill("#in-applicant_id_number", ID_TYPED)
    _choose_commune(page, "applicant_commune", "25", "4795")
    assert page.url.split("#")[0] == edit_url  # (without a script, the refresh came back)
    page.fill("#in-applicant_street", "Bản Mường, tổ 7")
    page.fill("#in-deceased_name", "Lò Thị Mẹ")
    page.fill("#in-deceased_id_number", "025.140.000.321")
    page.fill("#in-death_date", "2026-11-20")
    page.fill("#in-death_place", "Tại nhà riêng")
    page.fill("#in-relationship", "Con")
    _screenshots(page, shots, "counter-edit")
    # Enter in a text field saves and continues (not "show its communes"; issue 8, item 14).
    with page.expect_navigation(timeout=45_000):  # a loaded CI machine can be slow here
        page.press("#in-relationship", "Enter")
    assert page.url.split("?")[0].endswith("/documents"), (page.url, page.inner_text("main")[:1500])

    # The death notice, then check and submit.
    notice = tmp_path / "giấy báo tử.pdf"
    notice.write_bytes(PDF)
    page.set_input_files("#in-giay_bao_tu", str(notice))
    if page.js_enabled:  # the chosen file goes up at once ("Đang tải lên…")
        page.wait_for_selector("#doc-giay_bao_tu li:has-text('giấy báo tử.pdf')")
    else:
        page.click("#doc-giay_bao_tu button:has-text('Tải lên')")
        page.wait_for_url("**/documents*")
    assert "giấy báo tử.pdf" in page.inner_text("#doc-giay_bao_tu")
    page.click("main button[value=next]")  # Continue (it would also send a chosen file)
    page.wait_for_url("**/review")
    review = page.inner_text("main")
    assert "025190000777" in review or ID_TYPED in review
    assert "Lò Thị Mẹ" in review
    page.click("button:has-text('Nộp hồ sơ')")
    page.wait_for_url("**/staff/dossiers/*")
    code = page.url.rsplit("/", 1)[1]

    # The clerk receives it at once and prints form 01 for the walk-in.
    page.click("#act-accept button[type=submit]")
    page.wait_for_load_state()
    assert "Đã tiếp nhận" in page.inner_text("main")
    receipt = " ".join(_pdf_text(page, "a[href$='/slips/receipt.pdf']", tmp_path).split())
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt and code in receipt
    assert "Lò Văn Cụ" in receipt and "025190000777" in receipt
    assert "và số định danh cá nhân" in receipt  # how to track without a phone

    # Anyone with the slip finds it on /track with the code and the ID number, typed with
    # spaces; the page tells status, dates and office, nothing else.
    context = chromium.new_context(java_script_enabled=page.js_enabled, locale="vi-VN")
    visitor = context.new_page()
    visitor.js_enabled = page.js_enabled
    visitor.set_default_timeout(15000)
    visitor.goto(base + "/track")
    visitor.fill("#lookup", code)
    visitor.fill("#phone", ID_TYPED)
    visitor.press("#phone", "Enter")
    visitor.wait_for_selector("#found")
    assert visitor.url == base + "/track"
    found = visitor.inner_text("#found")
    assert code in found and "Đã tiếp nhận" in found and "UBND phường Hòa Bình" in found
    main = visitor.inner_text("main")
    assert "Lò Văn Cụ" not in main and "Đăng ký khai tử" not in main
    assert visitor.input_value("#phone") == ID_TYPED
    _screenshots(visitor, shots, "track-found")
    context.close()
