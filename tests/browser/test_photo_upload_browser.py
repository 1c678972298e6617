"""Photos on a weak uplink (issue 12, item 3): with JavaScript a photo above 200 KB is shrunk in
the browser before it is sent, to ≤ 200 KB, and a phone's photo of a printed Vietnamese page
still reads afterwards (Tesseract OCR on the file the server stored); the page says
"Đang thu nhỏ ảnh…", then "Đang tải lên…" with a progress bar. Without JavaScript nothing
changes: the original is sent and stored at its full size.

The photos are made by tests/photos.py. Set PORTAL_SCREENSHOTS=<folder> to keep screenshots."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from district_portal.db import get_db
from district_portal.services import storage
from tests import photos
from tests.helpers import dossier_of, pass_two_factor_in_browser

KB = 1024
BUDGET = 200 * KB  # a stored photo at most: ~33 s at 50 kbps up, not ~49 s as before
KEY = "giay_chung_sinh"
# The share of the page's words OCR must read back: shrunk to 1000 px the page reads 99.4 %,
# to 800 px 94.4 %, to 640 px 35 % (docs/performance.md).
LEGIBLE = 0.97
PASSWORD = "demo-portal-2026"


@pytest.fixture
def js_page(chromium):
    """A page with JavaScript on, for what only the script does (the shrink): these tests
    have no no-JavaScript twin to skip."""
    context = chromium.new_context(java_script_enabled=True, accept_downloads=True,
                                   locale="vi-VN")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.js_enabled = True
    yield pg
    context.close()


def require_tesseract() -> str:
    """The OCR that judges legibility; under CI a missing one fails the test."""
    path = shutil.which("tesseract")
    langs = subprocess.run([path, "--list-langs"], capture_output=True, text=True,
                           timeout=30).stdout.split() if path else []
    if path and "vie" in langs:
        return path
    reason = "tesseract with Vietnamese (apt-get install tesseract-ocr tesseract-ocr-vie)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"the photo legibility test must run under CI: needs {reason}")
    pytest.skip(f"PHOTO LEGIBILITY TEST SKIPPED: needs {reason}")


def documents_page(page, base: str) -> str:
    """A resident's new birth-registration draft, on its documents page; its public id."""
    page.goto(base + "/account/login")
    page.fill("#login", "resident@demo.test")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    pass_two_factor_in_browser(page)
    page.goto(base + "/procedures/1.001193")
    page.click("button:has-text('Nộp hồ sơ trực tuyến')")
    page.wait_for_url("**/edit")
    page.goto(page.url.replace("/edit", "/documents"))
    return page.url.split("/my/dossiers/")[1].split("/")[0]


def stored(app, public_id: str) -> list[tuple[str, bytes]]:
    """Each stored file of the draft: its name and its bytes, oldest first."""
    with app.app_context(), get_db(app).transaction(write=False) as session:
        found = dossier_of(session, public_id).attachments
        return [(a.original_name, storage.path_of(app.config["UPLOAD_DIR"], a.stored_name)
                 .read_bytes()) for a in sorted(found, key=lambda a: a.id)]


def shoot(page, name: str) -> None:
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/photo-{name}.png", full_page=True)


def legible_share(tesseract: str, image: bytes, tmp_path: Path) -> float:
    """The share of the page's printed words (each as often as printed) that OCR reads."""
    path = tmp_path / "ocr.jpg"
    path.write_bytes(image)
    text = subprocess.run([tesseract, str(path), "-", "-l", "vie"], capture_output=True,
                          text=True, timeout=300, check=True).stdout
    printed, read = photos.page_words(), photos.Counter(photos.words(text))
    return sum(min(n, read[w]) for w, n in printed.items()) / sum(printed.values())


def report(name: str, before: int, after: bytes, note: str = "") -> None:
    """One line of the measurements (seen with pytest -s): sizes and the time at 50 kbps up."""
    with Image.open(io.BytesIO(after)) as image:
        size = "×".join(map(str, image.size))
    print(f"\nPHOTO {name}: {before / KB:.0f} KB ({before * 8 / 50_000:.0f} s at 50 kbps) → "
          f"{len(after) / KB:.0f} KB {size} ({len(after) * 8 / 50_000:.1f} s) {note}")


def choose_slowly(page, path: Path) -> dict:
    """Choose the file on a slow phone (CPU ×4) on a slow uplink (100 KB/s): the page says
    it shrinks, then that it uploads with a progress bar, then that it is uploaded."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 100_000})
    state = page.locator(f"#doc-{KEY} .upload-status")
    started = time.monotonic()
    page.set_input_files(f"#in-{KEY}", str(path))
    seen = {"shrinking": "Đang thu nhỏ ảnh…" in state.inner_text()}
    shoot(page, "shrinking")
    page.wait_for_selector(f"#doc-{KEY} .upload-status:has-text('Đang tải lên…')")
    seen["shrink_s"] = time.monotonic() - started
    seen["bar"] = page.locator(f"#doc-{KEY} .upload-status progress").count() == 1
    page.wait_for_selector(f"#doc-{KEY} .upload-status:has-text('Đã tải lên.')")
    shoot(page, "uploaded")
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    return seen


def test_a_photo_of_a_printed_page_is_shrunk_to_200_kb_and_still_reads(live_server, page,
                                                                       tmp_path):
    tesseract = require_tesseract() if page.js_enabled else None  # no script: nothing to read
    app, base = live_server, live_server.config["LIVE_URL"]
    page.set_viewport_size({"width": 360, "height": 740})
    public_id = documents_page(page, base)
    original = photos.text_page_photo()  # 4000×3000 pixels turned upright by EXIF, ~3.6 MB
    path = tmp_path / "giấy chứng sinh.jpg"
    path.write_bytes(original)

    if page.js_enabled:
        seen = choose_slowly(page, path)
        assert seen["shrinking"] and seen["bar"], seen
    else:  # the page's own button sends the original
        page.set_input_files(f"#in-{KEY}", str(path))
        page.click(f"#doc-{KEY} button:has-text('Tải lên')")
        page.wait_for_selector(f"#doc-{KEY} li:has-text('giấy chứng sinh.jpg')")

    ((name, kept),) = stored(app, public_id)
    assert name == "giấy chứng sinh.jpg"
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG"
        image.load()  # the whole file decodes
        size = image.size
    if not page.js_enabled:  # nothing changes: the original, re-encoded at full size
        assert size == (3000, 4000) and len(kept) > 1_000_000
        return
    assert len(kept) <= BUDGET, len(kept)
    assert size == (1200, 1600)  # upright (EXIF applied) and 1600 px on the long side
    share = legible_share(tesseract, kept, tmp_path)
    report(name, len(original), kept,
           f"OCR {share:.1%}, 'Đang thu nhỏ ảnh…' for {seen['shrink_s']:.1f} s at CPU ×4")
    assert share >= LEGIBLE, share


@pytest.mark.parametrize(("make", "name", "kind", "long_sides", "reads"), [
    (photos.dim_text_page_photo, "chụp tối.jpg", "JPEG", range(1024, 1600), True),
    (photos.id_card_photo, "căn cước.jpg", "JPEG", [1600], False),
    (photos.photo_png, "căn cước.png", "JPEG", [1600], False),  # a PNG photo: a smaller JPEG
    (photos.screenshot_png, "màn hình.png", "PNG", [720], False),  # under 200 KB: left alone
], ids=["dim-text-page", "id-card-jpeg", "photo-png", "small-png"])
def test_other_photos_are_sent_at_200_kb_at_most(live_server, js_page, tmp_path, make, name,
                                                 kind, long_sides, reads):
    """A photo still above 200 KB at quality 0.5 is made smaller (not below 1024 px) and its
    print still reads; a PNG goes as JPEG only when that is smaller."""
    page = js_page
    tesseract = require_tesseract() if reads else None
    public_id = documents_page(page, live_server.config["LIVE_URL"])
    path = tmp_path / name
    original = make()
    path.write_bytes(original)
    page.set_input_files(f"#in-{KEY}", str(path))
    page.wait_for_selector(f"#doc-{KEY} .upload-status:has-text('Đã tải lên.')")
    ((stored_name, kept),) = stored(live_server, public_id)
    share = legible_share(tesseract, kept, tmp_path) if reads else None
    report(name, len(original), kept, f"OCR {share:.1%}" if reads else "")
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == kind and max(image.size) in long_sides, image.size
    assert len(kept) <= BUDGET, len(kept)
    assert stored_name == (name if kind == "PNG" else name.rsplit(".", 1)[0] + ".jpg")
    if reads:
        assert share >= LEGIBLE, share


def test_a_photo_the_browser_cannot_shrink_is_sent_as_it_is(live_server, js_page, tmp_path):
    """A broken JPEG above 200 KB: the shrink fails, the original goes, the server says why."""
    page = js_page
    public_id = documents_page(page, live_server.config["LIVE_URL"])
    path = tmp_path / "hỏng.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(300_000))
    page.set_input_files(f"#in-{KEY}", str(path))
    refused = page.locator(f"#doc-{KEY} .upload-status.error-msg")
    refused.wait_for()
    assert "Chỉ nhận tệp PDF, JPEG hoặc PNG." in refused.inner_text()
    assert stored(live_server, public_id) == []
