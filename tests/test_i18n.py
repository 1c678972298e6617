"""Vietnamese is complete: every UI string has a translation with the same placeholders."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import i18n  # noqa: E402

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalogs(tmp_path):
    pot_path = tmp_path / "messages.pot"
    i18n.extract(pot_path)
    with pot_path.open("rb") as fh:
        pot = read_po(fh)
    with i18n.PO.open("rb") as fh:
        vi = read_po(fh, locale="vi")
    return pot, vi


def test_every_ui_string_has_a_vietnamese_translation(tmp_path):
    pot, vi = _catalogs(tmp_path)
    ids = [m.id for m in pot if m.id]
    assert len(ids) > 50
    missing = []
    for msgid in ids:
        msg = vi.get(msgid)
        strings = [] if msg is None else (
            [msg.string] if isinstance(msg.string, str) else list(msg.string))
        if msg is None or msg.fuzzy or not strings or not all(strings):
            missing.append(msgid)
    assert missing == [], f"untranslated: {missing}"


def test_translations_keep_placeholders_and_are_nfc(tmp_path):
    pot, vi = _catalogs(tmp_path)
    for msg in vi:
        if not msg.id:
            continue
        source = msg.id if isinstance(msg.id, str) else msg.id[0]
        targets = [msg.string] if isinstance(msg.string, str) else list(msg.string)
        for target in targets:
            assert sorted(PLACEHOLDER.findall(target)) == sorted(PLACEHOLDER.findall(source)), \
                source
            assert unicodedata.normalize("NFC", target) == target, source


def test_pages_are_vietnamese_by_default_and_english_on_request(client):
    page = client.get("/").get_data(as_text=True)
    assert "Cổng dịch vụ công" in page and 'lang="vi"' in page
    switched = client.get("/language/en", headers={"Referer": "http://localhost/procedures"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/procedures")
    english = client.get("/").get_data(as_text=True)
    assert "Public service portal" in english and 'lang="en"' in english
    client.get("/language/vi")
    assert "Cổng dịch vụ công" in client.get("/").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client):
    response = client.get("/language/en", headers={"Referer": "https://evil.example/"})
    assert response.headers["Location"] == "/"
