"""Photos on a weak uplink (issue 12, item 3), the parts without a browser: the server's
re-encoding does not make a photo shrunk in the browser larger again, and static/form.js stays
small and in the old syntax it has always used (it runs on old phones, over 2G).
The browser side is tests/browser/test_photo_upload_browser.py."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from district_portal.services import storage
from district_portal.services.upload_checks import reencode_image
from tests import photos
from tests.helpers import birth_answers, dossier_of, save, start_draft, upload

KEY = "giay_chung_sinh"
FORM_JS = Path(__file__).resolve().parents[1] / "static" / "form.js"


def jpeg(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def page_image() -> Image.Image:
    """The printed page at the size the browser sends it (1200×1600)."""
    return photos.text_page_image(1200, 1600)


@pytest.fixture
def draft(resident_client):
    _, public_id = start_draft(resident_client)
    save(resident_client, public_id, birth_answers())
    return public_id


def _stored(app, session, public_id) -> bytes:
    (attachment,) = dossier_of(session, public_id).attachments
    return storage.path_of(app.config["UPLOAD_DIR"], attachment.stored_name).read_bytes()


def test_a_photo_shrunk_in_the_browser_is_not_made_larger_by_the_server(
        app, resident_client, session, draft, page_image):
    """At quality 0.6 (as the browser sends a page of print) the photo keeps its own
    quantization: stored no larger than it came, where quality 88 would add a third."""
    sent = jpeg(page_image, quality=60)
    assert len(jpeg(page_image, quality=88, optimize=True)) > 1.2 * len(sent)
    upload(resident_client, draft, KEY, sent, "trang.jpg")
    kept = _stored(app, session, draft)
    assert len(kept) <= len(sent)
    with Image.open(io.BytesIO(kept)) as again, Image.open(io.BytesIO(sent)) as before:
        assert again.quantization == before.quantization
        assert again.size == (1200, 1600) and not again.getexif()


def test_a_fine_photo_is_still_stored_at_quality_88(app, resident_client, session, draft,
                                                   page_image):
    sent = jpeg(page_image, quality=97)
    upload(resident_client, draft, KEY, sent, "trang.jpg")
    kept = _stored(app, session, draft)
    with Image.open(io.BytesIO(kept)) as again:
        assert again.quantization == Image.open(io.BytesIO(jpeg(page_image, quality=88))) \
            .quantization
    assert len(kept) < len(sent)


def test_a_coarse_photo_turned_by_exif_keeps_its_tables_and_is_stored_upright(tmp_path):
    image = Image.new("RGB", (160, 80), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    source, target = tmp_path / "in.jpg", tmp_path / "out.jpg"
    source.write_bytes(jpeg(image, quality=40, exif=exif.tobytes()))
    reencode_image(source, target, "image/jpeg")
    with Image.open(target) as again, Image.open(source) as before:
        assert again.size == (80, 160) and not again.getexif()
        assert again.quantization == before.quantization


def test_a_grey_coarse_photo_is_re_encoded_too(tmp_path):
    source, target = tmp_path / "in.jpg", tmp_path / "out.jpg"
    source.write_bytes(jpeg(Image.new("L", (64, 64), 120), quality=30))
    reencode_image(source, target, "image/jpeg")
    with Image.open(target) as again:
        assert again.mode == "L" and again.quantization == Image.open(source).quantization


# --- static/form.js -------------------------------------------------------------------------------


def test_form_js_stays_small_on_the_2g_budget():
    """Sent once and cached a year, on every filing page: at most 3.5 KB after gzip."""
    assert len(gzip.compress(FORM_JS.read_bytes())) <= 3584


def test_form_js_uses_no_syntax_newer_than_es5():
    code = re.sub(r"/\*.*?\*/", "", FORM_JS.read_text("utf-8"), flags=re.S)
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', code)  # strings may say anything
    for newer in ("=>", "`", r"\blet\b", r"\bconst\b", r"\bclass\b", r"\basync\b",
                  r"\bawait\b", r"\.\.\.", r"\?\.", r"\?\?"):
        assert not re.search(newer, code), newer


def test_the_documents_page_says_in_vietnamese_that_it_shrinks_the_photo(resident_client,
                                                                      draft):
    page = resident_client.get(f"/my/dossiers/{draft}/documents")
    form = page.find(".//form[@data-uploads]")
    assert form.get("data-shrinking") == "Đang thu nhỏ ảnh…"
    assert form.get("data-uploading") == "Đang tải lên…"
    assert page.find(f".//input[@id='in-{KEY}']").get("data-shrink") is not None
