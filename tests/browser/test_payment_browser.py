"""A fully-online dossier paid through the sandbox gateway in a real browser (no JavaScript):
one dossier paid at once; a second one fails, then the retry succeeds; the clerk sees it paid
and the office completes it; the resident downloads the result and the e-receipt, and rates it."""

from __future__ import annotations

import io

from pypdf import PdfReader

MARITAL = "1.004873"  # fully online, fee 15.000 đồng, result from a template



def _file(resident, base: str, name: str) -> tuple[str, str]:
    """File the marital-status certificate online; returns (dossier code, dossier URL)."""
    resident.goto(f"{base}/procedures/{MARITAL}")
    resident.click("button:has-text('Nộp hồ sơ trực tuyến')")
    resident.wait_for_url("**/edit")
    resident.check("#in-applicant_type-1")
    resident.fill("#in-applicant_name", name)
    resident.fill("#in-applicant_id_number", "025190000888")
    resident.fill("#in-applicant_phone", "0987 654 322")
    resident.select_option("select[name='applicant_commune.province']", "25")
    resident.click("#f-applicant_commune button[value=refresh]")
    resident.select_option("select[name='applicant_commune']", "4795")
    resident.select_option("#in-applicant_office", "000.00.04.T25")
    resident.fill("#in-full_name", name)
    resident.fill("#in-birth_date", "1995-04-12")
    resident.fill("#in-id_number", "025190000888")
    resident.select_option("#in-marital_status", "chua_ket_hon")
    resident.select_option("#in-purpose", "ket_hon")
    resident.click("button[value=next]")
    resident.wait_for_url("**/documents")
    resident.click("text=Tiếp tục: kiểm tra")
    resident.click("button:has-text('Nộp hồ sơ')")
    resident.wait_for_url("**?filed=1")
    return resident.locator(".big").first.inner_text().strip(), resident.url.split("?")[0]


def _pay(resident, outcome_button: str) -> str:
    """Press "Thanh toán trực tuyến", choose in the sandbox, come back; the return page."""
    assert "Phí, lệ phí phải nộp: 15.000 đồng" in resident.inner_text("main")
    resident.click("#pay button:has-text('Thanh toán trực tuyến')")
    resident.wait_for_url("**/payments/sandbox/pay?**")
    assert "15.000 đồng" in resident.inner_text("main")
    resident.click(f"button:has-text('{outcome_button}')")
    resident.wait_for_url("**/payments/vnpay/return?**")
    return resident.inner_text("main")


def _pdf_text(page, link_text: str, tmp_path) -> str:
    with page.expect_download() as info:
        page.click(f"a:has-text('{link_text}')")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


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


def test_residents_pay_online_through_the_sandbox_and_get_result_and_e_receipt(
        live_server, browser_as, tmp_path):
    base = live_server.config["LIVE_URL"]
    resident = browser_as("resident@demo.test")

    # First dossier: paid at once.
    code, dossier_url = _file(resident, base, "Phạm Thị Thanh Toán")
    shown = _pay(resident, "Thanh toán thành công")
    assert "Đã nhận thanh toán" in shown and code in shown
    resident.click("text=Quay lại hồ sơ")
    resident.wait_for_url(dossier_url)
    assert "đã nộp" in resident.inner_text("main")
    assert "Biên lai thu phí, lệ phí số 0000001/" in resident.inner_text("main")

    # Second dossier: the payment fails, then the retry succeeds.
    code2, dossier2_url = _file(resident, base, "Phạm Văn Thử Lại")
    shown = _pay(resident, "Thanh toán thất bại")
    assert "Thanh toán không thành công" in shown
    resident.click("text=Quay lại hồ sơ")
    resident.wait_for_url(dossier2_url)
    assert "Biên lai thu phí, lệ phí số" not in resident.inner_text("main")
    shown = _pay(resident, "Thanh toán thành công")
    assert "Đã nhận thanh toán" in shown
    resident.goto(dossier2_url)
    assert "Biên lai thu phí, lệ phí số 0000002/" in resident.inner_text("main")

    # The clerk sees the first dossier paid and receives it: no wait for payment.
    clerk = browser_as("clerk@demo.test")
    clerk.goto(f"{base}/staff/dossiers/{code}")
    main = clerk.inner_text("main")
    assert "15.000 đồng – đã nộp" in main and "Biên lai thu phí, lệ phí số 0000001/" in main
    assert "#act-pay" not in clerk.content()
    _act(clerk, "accept")
    assert "Đã tiếp nhận" in clerk.inner_text("main")
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
    assert "Đã có kết quả" in clerk.inner_text("main")
    _act(clerk, "return_result", way="online")
    assert "Đã trả kết quả" in clerk.inner_text("main")

    # The resident downloads the result and the e-receipt.
    resident.goto(dossier_url)
    result = _pdf_text(resident, "Tải kết quả", tmp_path)
    assert "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN" in result and "Phạm Thị Thanh Toán" in result
    receipt = _pdf_text(resident, "Biên lai thu phí, lệ phí số", tmp_path)
    for expected in ("BIÊN LAI THU PHÍ, LỆ PHÍ", "Phạm Thị Thanh Toán", "15.000 đồng",
                     "Mười lăm nghìn đồng", code, "Cổng thanh toán VNPAY"):
        assert expected in receipt, (expected, receipt)

    # ... and rates it; the clerk sees the rating.
    resident.goto(dossier_url)
    resident.check("input[name=rating][value='4']")
    resident.click("button:has-text('Gửi đánh giá')")
    resident.wait_for_url(dossier_url)
    assert "Đánh giá của ông/bà: Hài lòng." in resident.inner_text("main")
    clerk.goto(f"{base}/staff/dossiers/{code}")
    assert "Hài lòng (4/5)" in clerk.inner_text("main")
