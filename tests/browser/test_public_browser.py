"""A resident finds a procedure in a real browser, with and without JavaScript."""

from __future__ import annotations


def test_a_resident_searches_without_diacritics_and_reads_the_handbook(live_server, page):
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/")
    assert page.title().endswith("Cổng dịch vụ công")
    page.fill("#q", "dang ky khai sinh")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/procedures?q=*")
    page.click("text=Đăng ký khai sinh")
    page.wait_for_url("**/procedures/1.001193")
    assert page.inner_text("h1") == "Đăng ký khai sinh"
    body = page.inner_text("main")
    assert "Toàn trình" in body and "mức độ 4" in body
    assert "Trong ngày" in body and "Miễn phí" in body
    assert "Họ, chữ đệm và tên của trẻ" in body
    assert page.is_visible("a:has-text('Nộp hồ sơ trực tuyến')")
    # The stylesheet arrived and applied: the header has its colour.
    colour = page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor") \
        if page.js_enabled else None
    assert colour in (None, "rgb(183, 28, 28)")


def test_an_unknown_procedure_shows_the_vietnamese_not_found_page(live_server, page):
    response = page.goto(live_server.config["LIVE_URL"] + "/procedures/khong-co")
    assert response.status == 404
    assert "Không tìm thấy trang" in page.inner_text("h1")
