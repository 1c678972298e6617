"""PDF rendering: a Jinja template from templates/pdf/ → HTML → WeasyPrint → bytes.

Only the portal's own static files and `data:` URIs can be loaded while rendering: a
document never reads the server's disk outside static/ and never touches the network,
whatever an admin-written template or an applicant's answer contains.
"""

from __future__ import annotations

import base64
import io
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
    "qr_image",
    "render_html",
    "render_pdf",
    "static_base_url",
]

QR_SIZE_MM = 25  # printed side of the QR code, quiet zone included
#: The QR code's mask pattern. Any of the eight makes a valid symbol (ISO/IEC 18004); left to
#: choose, segno scores all eight in Python, 4.7 of a receipt's ~63 ms, and picks this one for
#: most verification URLs. tests/test_pdf.py reads the printed codes back with zbarimg.
QR_MASK = 2
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


def qr_image(url: str, size_mm: float = QR_SIZE_MM) -> Markup:
    """The QR code for `url`, `size_mm` millimetres wide on paper: a PNG of one pixel per
    module, drawn without smoothing (a PDF image WeasyPrint embeds as is; as an SVG path it
    parsed some 900 drawing commands for every document)."""
    qr = segno.make(url, error="m", micro=False, mask=QR_MASK)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=1, border=2)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Markup(  # nosec B704 — segno's PNG of our own verification URL
        f'<img class="qr" alt="QR" src="data:image/png;base64,{data}" '
        f'style="width:{size_mm}mm;height:{size_mm}mm">')


def money_words(amount: int) -> str:
    """15000 → 'Mười lăm nghìn đồng' (Vietnamese words, capitalised, for receipts)."""
    amount = int(amount or 0)
    words = num2words(amount, lang="vi").strip()
    return words[:1].upper() + words[1:] + " đồng"
