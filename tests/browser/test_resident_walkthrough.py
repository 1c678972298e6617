"""A first-time resident on a 360 px phone, from the home page to a returned result, with
JavaScript off and on: find the procedure, register and confirm the phone, file a birth
registration, choose the birth certificate and press "Continue" without pressing "Upload",
submit, track it; the clerk asks for a supplement; the resident answers it from the
highlighted request (choosing the file and pressing "Send the supplement" at once); the office
accepts, processes, issues and returns; the resident downloads the result.

Set PORTAL_SCREENSHOTS=<folder> to keep a screenshot of every page of the walk."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Dossier, Notification
from tests.factories import TINY_PDF, pdf_bytes

PDF = TINY_PDF  # a well-formed one-page PDF (uploads are checked structurally)
PHONE = "0915 246 810"
PASSWORD = "mùa-lúa-mới-2026"
REASON = "Bản chụp Giấy chứng sinh bị mờ, đề nghị chụp lại rõ nét."


class Walk:
    """The resident's page at a phone's width, with numbered screenshots when asked."""

    def __init__(self, page):
        self.page = page
        self.mode = "js" if page.js_enabled else "nojs"
        self.folder = os.environ.get("PORTAL_SCREENSHOTS")
        self.n = 0
        page.set_viewport_size({"width": 360, "height": 740})

    def shot(self, name: str) -> None:
        self.n += 1
        if self.folder:
            Path(self.folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=f"{self.folder}/walk-{self.mode}-{self.n:02d}-{name}.png",
                                 full_page=True)
        # Nothing of the page may stick out sideways on a phone.
        width = self.page.locator("html").evaluate("e => e.scrollWidth")
        assert width <= 360, (name, width)


def _latest_sms(app, phone_e164: str) -> str:
    with app.app_context(), get_db(app).transaction(write=False) as session:
        return session.scalars(select(Notification.text).where(
            Notification.channel == "sms", Notification.recipient == phone_e164)
            .order_by(Notification.id.desc())).first()


def _attachments(app, code: str) -> list[tuple[str, str]]:
    with app.app_context(), get_db(app).transaction(write=False) as session:
        d = session.scalar(select(Dossier).where(Dossier.code == code))
        return [(a.kind, a.original_name) for a in d.attachments]


def _act(page, action: str, **fields) -> None:
    form = f"#act-{action}"
    for name, value in fields.items():
        selector = f"{form} [name$={name}]"
        if page.locator(selector).first.evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, label=value)
        elif page.locator(selector).first.get_attribute("type") == "radio":
            page.check(f"{form} input[name$={name}][value={value}]")
        else:
            page.fill(selector, value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    assert "flash" in page.content()


def _choose_commune(page, key: str) -> None:
    page.select_option(f"select[name='{key}.province']", "25")
    if page.js_enabled:
        page.wait_for_selector(f"select[name='{key}'] option[value='4795']", state="attached")
    else:
        page.click(f"#f-{key} button[value=refresh]")
        page.wait_for_load_state()
    page.select_option(f"select[name='{key}']", "4795")


def _register(walk: Walk, app) -> None:
    """From the procedure's "file online" button, through login → register → the SMS code,
    back to the procedure."""
    page = walk.page
    page.click("a:has-text('Nộp hồ sơ trực tuyến')")  # anonymous: a link to the login
    page.wait_for_url("**/account/login**")
    walk.shot("login")
    page.click("a:has-text('Tạo tài khoản')")
    page.wait_for_url("**/account/register**")
    page.fill("#full_name", "Lò Thị Mai")
    page.fill("#phone", PHONE)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.check("#consent")
    walk.shot("register")
    page.click("button.primary")
    page.wait_for_url("**/account/verify-phone**")
    code = re.search(r"\b(\d{6})\b", _latest_sms(app, "+84915246810")).group(1)
    page.fill("#code", code)
    walk.shot("confirm-phone")
    page.click("form button.primary")
    page.wait_for_url("**/procedures/1.001193")  # back where the resident started


def _fill_birth_registration(walk: Walk) -> None:
    page = walk.page
    assert page.input_value("#in-applicant_name") == "Lò Thị Mai"
    assert page.input_value("#in-applicant_phone") == PHONE
    page.check("#in-applicant_type-1")
    page.fill("#in-applicant_id_number", "025190004321")
    _choose_commune(page, "applicant_commune")
    page.fill("#in-applicant_street", "Bản Mường, tổ 3")
    page.select_option("#in-applicant_office", "000.00.04.T25")
    for key, value in (("child_name", "Lò Văn An"), ("child_birth_date", "2026-11-15"),
                       ("child_birth_place", "Trạm y tế phường Hòa Bình"),
                       ("child_ethnicity", "Thái"), ("mother_name", "Lò Thị Mai"),
                       ("mother_id_number", "025190004321")):
        page.fill(f"#in-{key}", value)
    page.check("#in-child_sex-1")
    page.select_option("#in-relation_to_child", "me")
    _choose_commune(page, "residence_commune")
    walk.shot("answers")
    page.click("button[value=next]")
    page.wait_for_url("**/documents")


def _staff(browser_as, base: str, code: str):
    clerk = browser_as("clerk@demo.test")
    clerk.goto(f"{base}/staff/dossiers/{code}")
    return clerk


def _office_finishes(browser_as, clerk, base: str, code: str) -> None:
    """Assign, prepare, issue and return online, as the office's four people."""
    clerk.reload()
    _act(clerk, "assign", officer="Trần Văn Chuyên Viên")
    officer = browser_as("officer@demo.test")
    officer.goto(f"{base}/staff/dossiers/{code}")
    officer.click("text=Chuẩn bị và ban hành kết quả")
    officer.click("button:has-text('Tạo kết quả từ mẫu')")
    officer.wait_for_load_state()
    leader = browser_as("leader@demo.test")
    leader.goto(f"{base}/staff/dossiers/{code}/result")
    leader.click("button:has-text('Ban hành kết quả này')")
    leader.wait_for_load_state()
    clerk.reload()
    _act(clerk, "return_result", way="online")
    assert "Đã trả kết quả" in clerk.inner_text("main")


def _upload_slowly_and_watch(page, path) -> None:
    """On a slow link (upload throttled to 100 KB/s) the chosen file is sent at once, says
    "Uploading…" with a progress bar, then shows in its document's list."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 100_000})
    page.set_input_files("#in-giay_chung_sinh", str(path))
    state = page.locator("#doc-giay_chung_sinh .upload-status")
    state.wait_for()
    assert "Đang tải lên…" in state.inner_text()
    assert page.locator("#doc-giay_chung_sinh .upload-status progress").count() == 1
    page.wait_for_selector(f"#doc-giay_chung_sinh li:has-text('{path.name}')")
    assert "Đã tải lên." in page.inner_text("#doc-giay_chung_sinh")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_a_first_time_resident_goes_from_the_home_page_to_a_returned_result(
        live_server, page, browser_as, tmp_path):
    app, base = live_server, live_server.config["LIVE_URL"]
    walk = Walk(page)

    # The home page: search, then the procedure's page.
    page.goto(base + "/")
    walk.shot("home")
    page.fill("#q", "đăng ký khai sinh")
    page.click("form.search button")
    page.wait_for_url("**/procedures?q=**")
    page.click("main a:has-text('Đăng ký khai sinh')")
    page.wait_for_url("**/procedures/1.001193")
    walk.shot("procedure")

    # A first-timer: log in → create an account → confirm the phone → back to the procedure.
    _register(walk, app)
    page.click("button:has-text('Nộp hồ sơ trực tuyến')")
    page.wait_for_url("**/edit")
    _fill_birth_registration(walk)

    # Choose the birth certificate and press "Continue" without pressing "Upload".
    scan = tmp_path / "giấy chứng sinh.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("#in-giay_chung_sinh", str(scan))
    walk.shot("documents")
    # With a script the file is already on its way: "Continue" waits for it.
    page.click("button:has-text('Tiếp tục: kiểm tra')")
    page.wait_for_url("**/review")
    assert "giấy chứng sinh.pdf" in page.inner_text("main")
    walk.shot("review")
    page.click("button:has-text('Nộp hồ sơ')")
    page.wait_for_url("**?filed=1")
    walk.shot("filed")
    code, ref = [e.strip() for e in page.locator(".big").all_inner_texts()]
    dossier_url = page.url.split("?")[0]
    assert _attachments(app, code) == [("applicant", "giấy chứng sinh.pdf")]  # once, not twice

    # Track it from the home page with the tracking code and the phone.
    page.goto(base + "/")
    page.click("a:has-text('Tra cứu hồ sơ')")
    page.fill("#lookup", ref)
    page.fill("#phone", PHONE)
    page.click("button:has-text('Tra cứu')")
    found = page.inner_text("main")
    assert code in found and "Chờ tiếp nhận" in found
    walk.shot("tracked")

    # The clerk receives it and asks for a clearer birth certificate.
    clerk = _staff(browser_as, base, code)
    _act(clerk, "accept")
    _act(clerk, "request_supplement", reason=REASON)

    # The SMS says where to answer; "My dossiers" puts the request first, highlighted.
    sms = _latest_sms(app, "+84915246810")
    assert f"/supplement/{ref.replace('-', '')}" in sms
    page.goto(base + "/my/dossiers")
    first = page.locator("ul.list > li").first
    assert "Đăng ký khai sinh" in first.inner_text()
    assert REASON in first.locator(".needs-action").inner_text()
    walk.shot("my-dossiers-request")
    page.goto(dossier_url)
    request = page.locator("main > *:not(h1)").first
    assert request.get_attribute("id") == "supplement-request" and REASON in request.inner_text()
    status = page.inner_text("dl.facts")
    assert "Tạm dừng từ" in status and "Hạn trả kết quả" not in status
    walk.shot("dossier-request")
    page.click("#supplement-request a:has-text('Bổ sung hồ sơ')")
    page.wait_for_url("**/supplement")
    clearer = tmp_path / "chụp lại.pdf"
    clearer.write_bytes(pdf_bytes(b"x" * 300_000))  # big enough to watch it upload
    if page.js_enabled:
        _upload_slowly_and_watch(page, clearer)
    else:
        page.set_input_files("#in-giay_chung_sinh", str(clearer))
    walk.shot("supplement")
    page.click("button:has-text('Gửi bổ sung')")  # without pressing "Upload"
    page.wait_for_url(dossier_url)
    assert "Đã gửi hồ sơ bổ sung đến cơ quan." in page.inner_text("main")
    assert page.locator("#supplement-request").count() == 0
    assert ("supplement", "chụp lại.pdf") in _attachments(app, code)
    assert len(_attachments(app, code)) == 2

    # The office processes, issues and returns it; the resident downloads the result.
    _office_finishes(browser_as, clerk, base, code)
    page.goto(dossier_url)
    assert "Đã trả kết quả" in page.inner_text("dl.facts")
    walk.shot("returned")
    with page.expect_download() as info:
        page.click("a:has-text('Tải kết quả')")
    path = tmp_path / "ket-qua.pdf"
    info.value.save_as(path)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert "GIẤY KHAI SINH" in text and "LÒ VĂN AN" in text  # the form writes it in capitals
