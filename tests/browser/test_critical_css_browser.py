"""A first visit gets only the stylesheet rules its page may use (district_portal/critical_css.py,
issue 12 item 2). In a real browser, every element of such a page must look exactly as it does
with the whole stylesheet (a return visit, the file linked): same computed style for every
element, at 360 and 1366 px, on screen and in print."""

from __future__ import annotations

import pytest

PAGES = ["/", "/procedures", "/procedures?q=khai+sinh", "/procedures/1.001193", "/stats",
         "/track", "/account/login", "/account/register", "/verify", "/offices", "/no-such-page"]
PROPERTIES = ["display", "position", "float", "color", "background-color", "font-size",
              "font-weight", "font-family", "line-height", "margin", "padding", "border",
              "outline", "width", "height", "text-align", "text-decoration-line", "white-space",
              "overflow-x", "flex-wrap", "gap", "list-style-type", "vertical-align", "left"]
# Every element a reader sees (not the second page's <script> that fetches the file, nor links).
STYLES_JS = """(props) => Array.from(document.querySelectorAll('html, body, body *'))
 .filter(e => e.tagName !== 'LINK' && e.tagName !== 'SCRIPT').map(e => {
  const s = getComputedStyle(e);
  return e.tagName + '.' + e.className + ' '
    + props.map(p => p + ':' + s.getPropertyValue(p)).join(';');
})"""


def _styles(context, url: str, media: str) -> list[str]:
    page = context.new_page()
    page.emulate_media(media=media)
    page.goto(url)
    styles = page.evaluate(STYLES_JS, PROPERTIES)
    page.close()
    return styles


@pytest.mark.parametrize("width", [360, 1366])
def test_a_first_visit_looks_exactly_as_with_the_whole_stylesheet(chromium, live_server, width):
    site = live_server.config["LIVE_URL"]
    digest = live_server.extensions["asset_hashes"]["app.css"]
    for path in PAGES:
        for media in ("screen", "print"):
            first = chromium.new_context(viewport={"width": width, "height": 800})
            cached = chromium.new_context(viewport={"width": width, "height": 800})
            cached.add_cookies([{"name": "css", "value": digest, "url": site}])
            page = first.new_page()
            page.goto(site + path)
            assert page.locator("style").count() == 1, path  # the first visit: rules inline
            page.close()
            page = cached.new_page()
            page.goto(site + path)
            assert page.locator("style").count() == 0, path  # the return visit: the file
            page.close()
            inline, linked = _styles(first, site + path, media), _styles(cached, site + path, media)
            first.close()
            cached.close()
            assert len(inline) == len(linked) > 20, path
            differ = [(a, b) for a, b in zip(inline, linked, strict=True) if a != b]
            assert not differ, (path, media, differ[:3])
