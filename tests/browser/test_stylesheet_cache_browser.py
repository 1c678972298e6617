"""The stylesheet's three steps in a real browser (district_portal/assets.py, issue 12 item 2):
a first visit fetches nothing but the page; the second page's script fetches the content-hashed
file only after the page has loaded and been painted, then names it in the `css` cookie; the
third page links the file, which comes from the cache. Without JavaScript every page keeps its
rules inline and nothing else is fetched."""

from __future__ import annotations

import pytest

CSS = "/assets/app."
# When the stylesheet's request started and how many bytes it crossed the network, against the
# moment the page finished loading (Resource Timing; transferSize 0 = from the cache).
TIMING_JS = """() => {
  const css = performance.getEntriesByType('resource').filter(e => e.name.includes('/assets/app.'));
  const nav = performance.getEntriesByType('navigation')[0];
  return {loaded: nav.loadEventEnd, css: css.map(e => [e.startTime, e.transferSize])};
}"""


def _css_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "css"), None)


@pytest.mark.parametrize("width", [360, 1366])
def test_the_file_is_fetched_after_the_second_page_is_painted_then_linked_from_the_cache(
        chromium, live_server, width):
    site = live_server.config["LIVE_URL"]
    digest = live_server.extensions["asset_hashes"]["app.css"]
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if CSS in r.url else None)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)

    page.goto(site + "/")  # first visit: one response, the rules inline
    assert page.locator("style").count() == 1 and not requested
    assert _css_cookie(context) == "2"

    page.goto(site + "/procedures")  # second page: inline again, the file after the paint
    assert page.locator("style").count() == 1
    page.wait_for_function("() => document.cookie.includes('css=')"  # the script's cookie
                           f" && document.cookie.includes('{digest}')", timeout=10_000)
    timing = page.evaluate(TIMING_JS)
    assert len(timing["css"]) == 1, timing
    started, sent = timing["css"][0]
    assert started >= timing["loaded"] + 450, timing  # 0.5 s after the load event
    assert sent > 0  # it crossed the network once
    assert _css_cookie(context) == digest

    page.goto(site + "/track")  # third page: the file linked, from the cache
    assert page.locator("style").count() == 0
    assert page.locator(f'link[rel="stylesheet"][href$="app.{digest}.css"]').count() == 1
    timing = page.evaluate(TIMING_JS)
    assert [sent for _, sent in timing["css"]] == [0], timing  # nothing crossed the network
    brand = page.locator(".top").evaluate("e => getComputedStyle(e).backgroundColor")
    assert brand not in ("rgba(0, 0, 0, 0)", "transparent")  # and the rules apply
    assert not refused, refused
    context.close()


def test_without_javascript_every_page_keeps_its_rules_inline_and_fetches_nothing(
        chromium, live_server):
    site = live_server.config["LIVE_URL"]
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 360,
                                                                        "height": 800})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if CSS in r.url else None)
    for path in ["/", "/procedures", "/track", "/procedures/1.001193"]:
        page.goto(site + path)
        assert page.locator("style").count() == 1, path
        page.wait_for_timeout(700)  # past the moment the script would have fetched the file
    assert not requested, requested
    assert _css_cookie(context) == "2"
    context.close()
