"""The province admin builds a procedure's form in a real browser (issue 13, item 2): three
questions, one of them shown only for one answer of another (visible_if), and a required
document; a refused key shown beside its input; the preview, where the conditional question
appears for its answer; then the draft saved as a new version. With JavaScript off and on;
screenshots at 360 and 1366 px (into $PORTAL_SCREENSHOTS when set, for a person to look at)."""

from __future__ import annotations

from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Procedure
from tests.browser.test_counter_browser import _login, _screenshots, _shots_dir
from tests.factories import MARRIAGE

BASE = f"/admin/procedures/{MARRIAGE}/form"


def _add_field(page, base: str, **values) -> None:
    page.goto(f"{base}{BASE}/new/fields")
    page.fill("#in-label", values["label"])
    page.fill("#in-key", values["key"])
    page.select_option("#in-type", values["type"])
    if values.get("options"):
        page.fill("#in-options", values["options"])
    if values.get("visible_field"):
        page.select_option("#in-visible_field", values["visible_field"])
        page.fill("#in-visible_equals", values["visible_equals"])
    if values.get("required"):
        page.check("#in-required")
    page.click("button.primary")
    page.wait_for_load_state()


def test_an_admin_adds_questions_and_a_document_previews_and_saves_a_version(
        live_server, page, tmp_path):
    base = live_server.config["LIVE_URL"]
    shots = _shots_dir(tmp_path)
    _login(page, base, "admin.tinh@demo.test")

    page.goto(base + BASE)
    _screenshots(page, shots, "form-builder-start")
    _add_field(page, base, label="Nghề nghiệp của chồng", key="nghe_nghiep_chong",
               type="text", required=True)
    _add_field(page, base, label="Hai người đã có con chung chưa?", key="co_con",
               type="radio", options="co | Đã có\nkhong | Chưa có", required=True)

    # A refused key: the message beside the input, what was typed kept.
    _add_field(page, base, label="Số con chung", key="co_con", type="number")
    assert "đã được dùng" in page.inner_text("#err-key")
    assert page.input_value("#in-label") == "Số con chung"
    _screenshots(page, shots, "form-builder-refused")
    page.fill("#in-key", "so_con")
    page.select_option("#in-visible_field", "co_con")
    page.fill("#in-visible_equals", "co")
    page.click("button.primary")
    page.wait_for_load_state()

    page.goto(f"{base}{BASE}/new/documents")
    page.fill("#in-name", "Bản sao sổ hộ khẩu")
    page.fill("#in-key", "so_ho_khau")
    page.check("#in-mandatory")
    page.fill("#in-copies", "1")
    page.click("button.primary")
    page.wait_for_load_state()
    text = page.inner_text("main")
    for words in ("Nghề nghiệp của chồng", "Số con chung", "chỉ khi", "Bản sao sổ hộ khẩu"):
        assert words in text, words
    _screenshots(page, shots, "form-builder-draft")

    # The preview: the conditional question appears for its answer only.
    page.goto(f"{base}{BASE}/preview")
    assert page.is_hidden("#f-so_con")
    page.check("#in-co_con-1")
    if not page.js_enabled:
        page.click("form.preview button[type=submit]")
        page.wait_for_load_state()
    assert page.is_visible("#f-so_con")
    _screenshots(page, shots, "form-builder-preview")

    page.goto(f"{base}{BASE}/preview/handbook")
    assert "Số con chung" in page.inner_text("main")
    _screenshots(page, shots, "form-builder-handbook")

    # A result template that does not render: the line and the reason, nothing kept.
    page.goto(f"{base}{BASE}/result")
    page.fill("#in-template", "<p>{{ answers.husband_name }}</p>\n<p>{% if %}</p>")
    page.click("button.primary")
    page.wait_for_load_state()
    assert "dòng 2" in page.inner_text("#err-template")
    _screenshots(page, shots, "form-builder-result-error")

    page.goto(base + BASE)
    page.click("button:has-text(\"Lưu thành phiên bản mới\")")
    page.wait_for_load_state()
    assert "Đã lưu thành phiên bản" in page.inner_text("main")
    session = get_db(live_server).writer()
    try:
        proc = session.scalar(select(Procedure).where(Procedure.code == MARRIAGE))
        fields = {f["key"]: f for f in proc.current_version.data["fields"]}
        assert fields["so_con"]["visible_if"] == {"field": "co_con", "equals": "co"}
        assert proc.current_version.data["documents"][-1]["key"] == "so_ho_khau"
    finally:
        session.close()
