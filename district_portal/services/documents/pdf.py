"""PDF rendering: a Jinja template from templates/pdf/ → HTML → WeasyPrint → bytes.

Only the portal's own static files and `data:` URIs can be loaded while rendering: a
document never reads the server's disk outside static/ and never touches the network,
whatever an admin-written template or an applicant's answer contains.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from flask import current_app, render_template
from markupsafe import Markup
from num2words import num2words
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

__all__ = [
    "StaticOnlyFetcher",
    "money_words",
    "qr_svg",
    "render_html",
    "render_pdf",
    "static_base_url",
]

QR_SIZE_MM = 25  # printed side of the QR code, quiet zone included
STYLESHEET = "pdf.css"  # under static/; every PDF template's base links it

# Per thread: a font configuration and the parsed stylesheet, reused between renders. Building
# both for every document cost about half of a one-page receipt; Pango's font map is not
# thread-safe, so each server thread keeps its own (a fixed number: memory stays flat).
_renderer = threading.local()


def static_base_url() -> str:
    """The public URL of static/; relative links in PDF templates resolve against it."""
    return current_app.config["BASE_URL"].rstrip("/") + "/static/"


class StaticOnlyFetcher(URLFetcher):
    """Serves files under `static_dir` at `base_url`, and `data:` URIs; refuses the rest.

    A refused URL raises, so WeasyPrint drops that one resource (with a logged warning) and
    still renders the document.
    """

    def __init__(self, static_dir: str | Path, base_url: str) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False,
                         fail_on_errors=False)
        self.static_dir = Path(static_dir).resolve()
        self.base_url = base_url

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(self.base_url) and not urlsplit(url).query:
            path = self._static_path(url[len(self.base_url):])
            if path is not None:
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return _response(url, path.read_bytes(), content_type)
        raise URLFetchingError(f"refused: {url[:200]}")

    def _static_path(self, relative: str) -> Path | None:
        relative = unquote(relative.split("#", 1)[0])
        if "\x00" in relative or "\\" in relative:
            return None
        normalised = posixpath.normpath("/" + relative).lstrip("/")
        path = (self.static_dir / normalised).resolve()
        if not path.is_relative_to(self.static_dir) or not path.is_file():
            return None
        return path


def _response(url: str, body: bytes, content_type: str) -> URLFetcherResponse:
    return URLFetcherResponse(url, body, {"Content-Type": content_type})


def render_html(template_name: str, **context) -> str:
    """Render templates/pdf/<template_name> to HTML (autoescaped); kept for tests and debugging."""
    return render_template(f"pdf/{template_name}", **context)


def _fonts_and_stylesheet(fetcher: StaticOnlyFetcher) -> tuple[FontConfiguration, CSS]:
    """This thread's font configuration and parsed stylesheet, parsed again if the file changed."""
    path = Path(current_app.static_folder) / STYLESHEET
    key = (str(path), fetcher.base_url, os.stat(path).st_mtime_ns)
    if getattr(_renderer, "key", None) != key:
        fonts = FontConfiguration()
        css = CSS(string=path.read_text("utf-8"), base_url=fetcher.base_url,
                  url_fetcher=fetcher, font_config=fonts)
        _renderer.key, _renderer.fonts, _renderer.css = key, fonts, css
    return _renderer.fonts, _renderer.css


def html_to_pdf(html: str, *, stylesheet_linked: bool = True) -> bytes:
    """Turn HTML into PDF bytes with the static-only fetcher. When the HTML does not link the
    stylesheet itself (`stylesheet_linked=False`), this thread's pre-parsed copy is applied."""
    base_url = static_base_url()
    fetcher = StaticOnlyFetcher(current_app.static_folder, base_url)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    if stylesheet_linked:
        return document.write_pdf()
    fonts, css = _fonts_and_stylesheet(fetcher)
    return document.write_pdf(stylesheets=[css], font_config=fonts)


def render_pdf(template_name: str, **context) -> bytes:
    """Render templates/pdf/<template_name> with `context` (plain values only) to PDF bytes,
    with the shared stylesheet and fonts of this thread."""
    html = render_html(template_name, stylesheet_preloaded=True, **context)
    return html_to_pdf(html, stylesheet_linked=False)


def qr_svg(url: str, size_mm: float = QR_SIZE_MM) -> Markup:
    """An inline SVG QR code for `url`, `size_mm` millimetres wide on paper."""
    qr = segno.make(url, error="m", micro=False)
    border = 2
    modules = qr.symbol_size(scale=1, border=border)[0]
    svg = qr.svg_inline(scale=size_mm / modules, unit="mm", border=border, dark="#000",
                        svgclass="qr", lineclass=None, omitsize=False)
    return Markup(svg)  # nosec B704 — segno's SVG of our own verification URL


def money_words(amount: int) -> str:
    """15000 → 'Mười lăm nghìn đồng' (Vietnamese words, capitalised, for receipts)."""
    amount = int(amount or 0)
    words = num2words(amount, lang="vi").strip()
    return words[:1].upper() + words[1:] + " đồng"
