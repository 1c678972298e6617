"""/stats on a 360 px phone and a 1366 px screen, in a real browser, on two years of data."""

from __future__ import annotations

import pytest

from bench.stats import seed


@pytest.fixture
def stats_server(live_server):
    seed(live_server, 1500)
    return live_server


@pytest.mark.parametrize("width", [360, 1366])
def test_the_charts_and_tables_show_and_nothing_overflows(stats_server, chromium, width):
    context = chromium.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
    page = context.new_page()
    try:
        response = page.goto(stats_server.config["LIVE_URL"] + "/stats")
        assert response.status == 200
        charts = page.locator("svg.chart")
        assert charts.count() == 5
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box["width"] > 200 and box["height"] > 30  # drawn, not collapsed
            assert box["x"] + box["width"] <= width
        tables = page.locator("main table")
        assert tables.count() == 8
        assert all(tables.nth(i).is_visible() for i in range(tables.count()))
        # The page itself never scrolls sideways; a wide table scrolls inside its own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        outside = page.evaluate("""w => [...document.querySelectorAll('main *')]
            .filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > w + 0.5)
            .map(e => e.tagName + '.' + e.className)""", width)
        assert outside == []
        assert "Số liệu tính đến" in page.inner_text("main")
    finally:
        context.close()


def test_the_filter_form_works_without_javascript(stats_server, chromium):
    context = chromium.new_context(java_script_enabled=False, locale="vi-VN",
                                   viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(stats_server.config["LIVE_URL"] + "/stats")
        page.fill("#f-start", "31/02/2026")
        page.click("form.filters button[type=submit]")
        assert "Ngày này không tồn tại: 31/02/2026." in page.inner_text("[role=alert]")
        assert page.input_value("#f-start") == "31/02/2026"
        page.fill("#f-start", "01/01/2025")
        page.select_option("#f-office", "000.00.05.T25")
        page.click("form.filters button[type=submit]")
        assert "từ 01/01/2025" in page.inner_text("main")
        assert "UBND phường Tân Hòa" in page.inner_text("p.meta >> nth=0")
    finally:
        context.close()
