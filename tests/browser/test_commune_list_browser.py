"""The communes list that form.js fetches when the province changes arrives late on a slow
link: a commune the person already chose in that province stays chosen, and a late answer
for a province they have since left does not replace the list (the CI failure of
2026-11-28: the commune was chosen before the list arrived and then silently cleared)."""

from __future__ import annotations

from tests.browser.conftest import DEMO_PASSWORD
from tests.helpers import pass_two_factor_in_browser

DEATH = "1.000656"


def _counter_edit_page(chromium, base: str):
    context = chromium.new_context(java_script_enabled=True, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(base + "/account/login")
    page.fill("#login", "clerk@demo.test")
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    pass_two_factor_in_browser(page)
    page.wait_for_url("**/account/")
    page.goto(base + "/staff/counter")
    page.select_option("#procedure", DEATH)
    page.click("main button.primary")
    page.wait_for_url("**/staff/counter/*/edit")
    return context, page


def _hold_communes(page) -> list:
    """Hold every communes request until the test lets it through (a slow 2G link); the
    answer is then the real server's."""
    held: list = []
    page.route("**/api/v1/units/*/communes", lambda route: held.append(route))
    return held


def _release(page, held: list) -> None:
    for route in held:
        route.continue_()
        page.wait_for_timeout(300)  # its answer arrives and the script applies it


def test_a_commune_chosen_before_the_list_arrives_stays_chosen(live_server, chromium):
    context, page = _counter_edit_page(chromium, live_server.config["LIVE_URL"])
    try:
        held = _hold_communes(page)
        province = "select[name='applicant_commune.province']"
        commune = "select[name='applicant_commune']"
        page.select_option(province, "25")  # the office's province, its list already shown
        page.wait_for_selector(f"{commune} option[value='4795']", state="attached")
        page.select_option(commune, "4795")
        page.wait_for_timeout(200)
        assert len(held) == 1, "the communes list was never asked for"
        _release(page, held)
        assert page.eval_on_selector(commune, "e => e.value") == "4795"
        assert page.eval_on_selector(commune, "e => e.options.length") > 50
    finally:
        context.close()


def test_a_late_list_for_a_province_left_since_is_ignored(live_server, chromium):
    context, page = _counter_edit_page(chromium, live_server.config["LIVE_URL"])
    try:
        held = _hold_communes(page)
        province = "select[name='applicant_commune.province']"
        commune = "select[name='applicant_commune']"
        page.select_option(province, "1")  # Hà Nội, then straight back to Phú Thọ
        page.select_option(province, "25")
        page.wait_for_timeout(200)
        assert len(held) == 2
        _release(page, list(reversed(held)))  # Phú Thọ's answer first, Hà Nội's late
        names = page.eval_on_selector(commune, "e => [...e.options].map(o => o.value)")
        assert "4795" in names  # Phú Thọ's list, not Hà Nội's
    finally:
        context.close()
