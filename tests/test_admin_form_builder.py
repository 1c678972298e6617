"""The admin console's form builder (issue 13, item 2): every refusal with its Vietnamese
message beside the input (HTTP 400, what was typed kept, nothing stored), reorder, delete of a
field dossiers use (a new version; the old dossier keeps its fields), the preview with the
filing pages' own macros, the result template tried in the sandbox, and the 404s."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from district_portal.models import AuditEntry, ProcedureVersion
from district_portal.services.admin import procedures as drafts
from tests.factories import MARRIAGE, create_dossier, procedure, user
from tests.helpers import ClientRequest, login
from tests.test_hostile_input import FIXTURES_OK as HOSTILE_OK
from tests.test_hostile_input import HOSTILE

BASE = f"/admin/procedures/{MARRIAGE}/form"


@pytest.fixture
def rc(app, session):
    client = app.test_client()
    login(client, user(session, "admin.tinh@demo.test"))
    return ClientRequest(client)


def _draft(session):
    session.expire_all()
    return drafts.draft_data(session, procedure(session, MARRIAGE))


def _field(**kw) -> dict:
    values = {"label": "Nghề nghiệp", "key": "nghe_nghiep", "type": "text"}
    values.update(kw)
    return values


def _post(rc, url, data, status=400):
    return rc.post(url, data, form_page=BASE, expected_status=status)


def _error(page, name) -> str:
    el = page.by_id(f"err-{name}")
    assert el is not None, (name, page.html[:4000])
    return page.text(el)


def test_the_builder_shows_the_procedure_and_its_parts(rc, session):
    page = rc.get(BASE)
    assert "Đăng ký kết hôn" in page.text()
    assert page.by_id("fields") is not None and page.by_id("documents") is not None


def test_a_field_is_added_to_the_draft_and_audited(rc, session):
    versions = session.scalar(select(func.count(ProcedureVersion.id)))
    rc.post(f"{BASE}/new/fields", _field(required="y"), form_page=BASE,
            expected_redirect=BASE)
    data = _draft(session)
    assert data["fields"][-1] == {"key": "nghe_nghiep", "label": "Nghề nghiệp",
                                  "type": "text", "required": True}
    assert session.scalar(select(func.count(ProcedureVersion.id))) == versions  # draft only
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "procedure.draft_edit")).all()[-1]
    assert entry.after == {"fields": data["fields"][-1]} and entry.before == {"fields": None}
    assert "bản nháp" in rc.get(BASE).text()


@pytest.mark.parametrize("values, name, words", [
    (_field(key="husband_name"), "key", "đã được dùng"),
    (_field(key="Nghe Nghiep"), "key", "chữ thường"),
    (_field(key="applicant_x"), "key", "applicant_"),
    (_field(visible_field="khong_co"), "visible_field", "Không có câu hỏi"),
    (_field(visible_field="nghe_nghiep"), "visible_field", "chính nó"),
    (_field(type="select"), "options", "ít nhất một lựa chọn"),
    (_field(type="radio", options="a | A\na | B"), "options", "trùng"),
    (_field(type="number", min="10", max="2"), "max", "nhỏ hơn"),
    (_field(min_length="9", max_length="3"), "max_length", "nhỏ hơn"),
    (_field(pattern="[0-9"), "pattern", "không hợp lệ"),
    (_field(label=""), "label", "Nhập"),
    (_field(min="mười"), "min", "Nhập một số"),
])
def test_a_field_that_would_break_the_form_is_refused_beside_its_input(
        rc, session, values, name, words):
    before = _draft(session)
    page = _post(rc, f"{BASE}/new/fields", values)
    assert words in _error(page, name)
    for typed in ("key", "label", "pattern", "min", "max"):
        if values.get(typed):
            assert page.value(typed) == values[typed]
    assert "$." not in page.html and "procedures[" not in page.html
    assert _draft(session) == before
    assert drafts.draft_row(session, procedure(session, MARRIAGE)) is None


def test_a_condition_on_a_list_must_name_one_of_its_values(rc, session):
    rc.post(f"{BASE}/new/fields", _field(key="co_con", type="radio", label="Có con chung",
                                        options="co | Có\nkhong | Không"),
            form_page=BASE, expected_redirect=BASE)
    page = _post(rc, f"{BASE}/new/fields", _field(visible_field="co_con", visible_equals="x"))
    assert "co, khong" in _error(page, "visible_equals")
    rc.post(f"{BASE}/new/fields", _field(visible_field="co_con", visible_equals="co"),
            form_page=BASE, expected_redirect=BASE)
    assert _draft(session)["fields"][-1]["visible_if"] == {"field": "co_con", "equals": "co"}


def test_a_field_edited_keeps_its_place_and_cannot_depend_on_itself(rc, session):
    first = _draft(session)["fields"][0]
    page = rc.get(f"{BASE}/fields/{first['key']}")
    assert page.value("key") == first["key"]
    bad = _post(rc, f"{BASE}/fields/{first['key']}",
                _field(key=first["key"], visible_field=first["key"]))
    assert "chính nó" in _error(bad, "visible_field")
    rc.post(f"{BASE}/fields/{first['key']}", _field(key=first["key"], label="Tên mới"),
            form_page=BASE, expected_redirect=BASE)
    assert _draft(session)["fields"][0]["label"] == "Tên mới"


def test_fields_and_documents_are_reordered_with_up_and_down(rc, session):
    keys = [f["key"] for f in _draft(session)["fields"]]
    rc.post(f"{BASE}/fields/{keys[1]}/move", {"direction": "up"}, form_page=BASE,
            expected_redirect=BASE)
    assert [f["key"] for f in _draft(session)["fields"]][:2] == [keys[1], keys[0]]
    rc.post(f"{BASE}/fields/{keys[1]}/move", {"direction": "down"}, form_page=BASE,
            expected_redirect=BASE)
    assert [f["key"] for f in _draft(session)["fields"]] == keys
    rc.post(f"{BASE}/steps/2/move", {"direction": "up"}, form_page=BASE, expected_redirect=BASE)
    steps = drafts.working_copy(procedure(session, MARRIAGE))["steps"]
    assert _draft(session)["steps"][:2] == [steps[1], steps[0]]


def test_documents_keys_are_checked_against_fields_too(rc, session):
    key = _draft(session)["fields"][0]["key"]
    page = _post(rc, f"{BASE}/new/documents", {"name": "Giấy xác nhận", "key": key})
    assert "đã được dùng" in _error(page, "key")
    page = _post(rc, f"{BASE}/new/documents", {"name": "", "key": "giay_xn", "copies": "-1"})
    assert _error(page, "name") and _error(page, "copies")
    rc.post(f"{BASE}/new/documents", {"name": "Giấy xác nhận", "key": "giay_xn",
                                      "mandatory": "y", "copies": "1"},
            form_page=BASE, expected_redirect=BASE)
    assert _draft(session)["documents"][-1] == {"key": "giay_xn", "name": "Giấy xác nhận",
                                                "mandatory": True, "copies": 1}


def test_deleting_a_field_dossiers_use_makes_a_new_version_and_they_keep_theirs(rc, session):
    proc = procedure(session, MARRIAGE)
    dossier = create_dossier(session, procedure_code=MARRIAGE)
    session.commit()
    old = proc.current_version
    key = old.data["fields"][0]["key"]
    page = rc.get(f"{BASE}/fields/{key}/delete")
    assert "giữ phiên bản" in page.text()
    rc.post(f"{BASE}/fields/{key}/delete", {}, form_page=BASE, expected_redirect=BASE)
    assert key not in [f["key"] for f in _draft(session)["fields"]]
    rc.post(f"{BASE}/save", {}, form_page=BASE, expected_redirect=BASE)
    session.expire_all()
    proc = procedure(session, MARRIAGE)
    assert proc.current_version.number == old.number + 1
    assert key not in [f["key"] for f in proc.current_version.data["fields"]]
    session.refresh(dossier)
    assert dossier.procedure_version_id == old.id
    assert key in [f["key"] for f in dossier.procedure_version.data["fields"]]
    assert drafts.draft_row(session, proc) is None
    assert session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_ref == MARRIAGE)).all()[-1] == "procedure.edit"


def test_a_field_named_by_a_condition_cannot_be_deleted(rc, session):
    key = _draft(session)["fields"][0]["key"]
    rc.post(f"{BASE}/new/fields", _field(visible_field=key, visible_equals="x"),
            form_page=BASE, expected_redirect=BASE)
    page = _post(rc, f"{BASE}/fields/{key}/delete", {})
    assert "Nghề nghiệp" in page.text() and key in [f["key"] for f in _draft(session)["fields"]]


def test_discarding_the_draft_goes_back_to_the_current_version(rc, session):
    rc.post(f"{BASE}/new/fields", _field(), form_page=BASE, expected_redirect=BASE)
    rc.post(f"{BASE}/discard", {}, form_page=BASE, expected_redirect=BASE)
    proc = procedure(session, MARRIAGE)
    assert drafts.draft_row(session, proc) is None
    assert _draft(session) == drafts.working_copy(proc)


def test_the_preview_renders_the_draft_with_the_filing_macros(rc, session):
    rc.post(f"{BASE}/new/fields", _field(key="co_con", type="checkbox", label="Có con chung"),
            form_page=BASE, expected_redirect=BASE)
    rc.post(f"{BASE}/new/fields", _field(key="so_con", type="number", label="Số con chung",
                                        visible_field="co_con", visible_equals="có"),
            form_page=BASE, expected_redirect=BASE)
    page = rc.get(f"{BASE}/preview")
    hidden = page.by_id("f-so_con")
    assert hidden is not None and hidden.get("hidden") is not None
    assert hidden.get("data-if") == "co_con" and page.by_id("in-co_con") is not None
    shown = rc.get(f"{BASE}/preview?co_con=y")
    assert shown.by_id("f-so_con").get("hidden") is None
    handbook = rc.get(f"{BASE}/preview/handbook")
    assert "Số con chung" in handbook.text() and "Có con chung" in handbook.text()
    # Nothing on the preview files a dossier for the real procedure.
    assert "/apply" not in handbook.html and "người dân thấy nút nộp" in handbook.text()


def test_a_result_template_that_does_not_render_is_refused_and_nothing_saved(rc, session):
    bad = "<p>{{ answers.husband_name }}</p>\n<p>{% if %}</p>"
    page = _post(rc, f"{BASE}/result", {"name": "Giấy chứng nhận kết hôn", "template": bad})
    assert "dòng 2" in _error(page, "template")
    assert "{% if %}" in page.html.replace("&#34;", '"') or "{% if %}" in page.text()
    assert drafts.draft_row(session, procedure(session, MARRIAGE)) is None
    sample = _post(rc, f"{BASE}/result", {"name": "Giấy", "template": bad,
                                          "_action": "sample"})
    assert "dòng 2" in _error(sample, "template")


def test_a_result_template_is_tried_with_sample_answers(rc, session):
    good = ("<p>Chồng: {{ answers.husband_name }}, vợ: {{ answers.wife_name }}, "
            "{{ dossier.submitted_at|date }}</p>")
    response = rc.client.post(f"{BASE}/result", data={
        "csrf_token": rc.token(BASE), "name": "Giấy chứng nhận kết hôn", "template": good,
        "_action": "sample"})
    assert response.status_code == 200, response.get_data(as_text=True)[-3000:]
    assert response.data.startswith(b"%PDF")
    assert drafts.draft_row(session, procedure(session, MARRIAGE)) is None
    rc.post(f"{BASE}/result", {"name": "Giấy chứng nhận kết hôn", "template": good,
                               "authority": "TM. ỦY BAN NHÂN DÂN", "register_book": "y",
                               "verify_fields": "husband_name"},
            form_page=BASE, expected_redirect=BASE)
    result = _draft(session)["result"]
    assert result["template"] == good and result["register_book"] is True
    assert result["signature"] == {"authority": "TM. ỦY BAN NHÂN DÂN"}
    assert result["verify_fields"] == ["husband_name"]
    assert rc.client.get(f"{BASE}/result/sample.pdf").data.startswith(b"%PDF")


def test_fee_lines_and_steps_are_edited(rc, session):
    page = _post(rc, f"{BASE}/new/fee-lines", {"label": "Lệ phí", "amount": "-5"})
    assert _error(page, "amount")
    rc.post(f"{BASE}/new/fee-lines", {"label": "Lệ phí cấp bản sao", "amount": "8.000"},
            form_page=BASE, expected_redirect=BASE)
    assert _draft(session)["fee"]["lines"][-1] == {"label": "Lệ phí cấp bản sao",
                                                   "amount": 8000}
    rc.post(f"{BASE}/fee", {"note": "Miễn cho hộ nghèo", "online_payment": "y"},
            form_page=BASE, expected_redirect=BASE)
    assert _draft(session)["fee"]["online_payment"] is True
    rc.post(f"{BASE}/new/steps", {"text": "Nhận kết quả tại bộ phận một cửa",
                                  "in_person": "y"}, form_page=BASE, expected_redirect=BASE)
    assert _draft(session)["steps"][-1] == {"text": "Nhận kết quả tại bộ phận một cửa",
                                            "in_person": True}


def test_a_commune_admin_and_unknown_items_get_404(app, session, rc):
    client = app.test_client()
    login(client, user(session, "admin@demo.test"))
    for url in (BASE, f"{BASE}/preview", f"{BASE}/new/fields", f"{BASE}/result"):
        assert client.get(url).status_code == 404
    assert rc.client.get(f"{BASE}/fields/khong_co").status_code == 404
    assert rc.client.get(f"{BASE}/steps/99").status_code == 404
    assert rc.client.get(f"{BASE}/new/nothing").status_code == 404
    assert rc.client.get("/admin/procedures/khong-co/form").status_code == 404


def test_the_banner_says_when_the_draft_is_stale(rc, session):
    assert "bản nháp" not in rc.get(BASE).text()
    rc.post(f"{BASE}/new/fields", _field(), form_page=BASE, expected_redirect=BASE)
    assert "Bạn đang sửa bản nháp" in rc.get(BASE).text()
    proc = procedure(session, MARRIAGE)
    other = drafts.working_copy(proc)
    other["name"] = "Đăng ký kết hôn (sửa bởi người khác)"
    drafts.save_version(session, user(session, "admin.tinh@demo.test"), proc, other)
    session.commit()
    assert "Đã có người lưu phiên bản mới" in rc.get(BASE).text()


def test_a_key_other_parts_name_cannot_be_renamed(rc, session):
    key = _draft(session)["fields"][0]["key"]
    rc.post(f"{BASE}/new/fields", _field(visible_field=key, visible_equals="x"),
            form_page=BASE, expected_redirect=BASE)
    page = _post(rc, f"{BASE}/fields/{key}", _field(key="ten_moi", label="Họ và tên"))
    assert "Nghề nghiệp" in _error(page, "key")
    page = _post(rc, f"{BASE}/new/fee-lines", {"label": "Phí", "amount": "1000", "per": key})
    assert "câu hỏi dạng số" in _error(page, "per")


def test_the_sample_result_of_a_broken_draft_template_is_an_error_not_a_pdf(rc, session):
    proc = procedure(session, MARRIAGE)
    data = drafts.working_copy(proc)
    data["result"]["template"] = "<p>{{ answers.husband_name }</p>"
    drafts.store_draft(session, user(session, "admin.tinh@demo.test"), proc, data)
    session.commit()
    response = rc.client.get(f"{BASE}/result/sample.pdf")
    assert response.status_code == 400 and "dòng 1" in response.get_data(as_text=True)


def test_fee_lines_take_tiers_and_exemptions(rc, session):
    rc.post(f"{BASE}/new/fields", _field(key="so_trang", type="number", label="Số trang"),
            form_page=BASE, expected_redirect=BASE)
    rc.post(f"{BASE}/new/fields", _field(key="doi_tuong", type="select", label="Đối tượng",
                                        options="thuong | Thường\nngheo | Hộ nghèo"),
            form_page=BASE, expected_redirect=BASE)
    page = _post(rc, f"{BASE}/new/fee-lines", {"label": "Phí sao", "tiers": "10 | 2000\n| 1000",
                                               "exempt_if": "doi_tuong = giau"})
    assert "câu hỏi dạng số" in _error(page, "per")
    assert "thuong, ngheo" in _error(page, "exempt_if")
    page = _post(rc, f"{BASE}/new/fee-lines", {"label": "Phí sao", "per": "so_trang",
                                               "tiers": "10 | 2000\n5 | 1500\n| 1000"})
    assert "tăng dần" in _error(page, "tiers")
    rc.post(f"{BASE}/new/fee-lines", {"label": "Phí sao", "per": "so_trang",
                                      "tiers": "10 | 2.000 | Đến 10 trang\n | 1.000",
                                      "exempt_if": "doi_tuong = ngheo | Hộ nghèo"},
            form_page=BASE, expected_redirect=BASE)
    line = _draft(session)["fee"]["lines"][-1]
    assert line == {"label": "Phí sao", "per": "so_trang",
                    "tiers": [{"up_to": 10, "amount": 2000, "label": "Đến 10 trang"},
                              {"amount": 1000}],
                    "exempt_if": [{"field": "doi_tuong", "equals": "ngheo",
                                   "label": "Hộ nghèo"}]}
    n = len(_draft(session)["fee"]["lines"])
    edit = rc.get(f"{BASE}/fee-lines/{n}")
    assert "10 | 2000 | Đến 10 trang" in edit.html and "doi_tuong = ngheo | Hộ nghèo" in edit.html
    rc.post(f"{BASE}/fee", {"exempt_if": "doi_tuong = ngheo"}, form_page=BASE,
            expected_redirect=BASE)
    assert _draft(session)["fee"]["exempt_if"] == [{"field": "doi_tuong", "equals": "ngheo"}]
    rc.post(f"{BASE}/save", {}, form_page=BASE, expected_redirect=BASE)
    assert procedure(session, MARRIAGE).current_version.data["fee"]["lines"][-1] == line


def test_saving_an_invalid_draft_is_refused_in_vietnamese_and_keeps_the_draft(rc, session):
    proc = procedure(session, MARRIAGE)
    data = drafts.working_copy(proc)
    data["fields"].append(dict(data["fields"][0]))  # a duplicate key, as a file could have
    drafts.store_draft(session, user(session, "admin.tinh@demo.test"), proc, data)
    session.commit()
    number = proc.current_version.number
    page = rc.post(f"{BASE}/save", {}, form_page=BASE, expected_status=400)
    assert f"Câu hỏi số {len(data['fields'])} chưa hợp lệ" in page.text()
    assert "$." not in page.html and "used more than once" not in page.html
    session.expire_all()
    assert procedure(session, MARRIAGE).current_version.number == number
    assert drafts.draft_row(session, procedure(session, MARRIAGE)) is not None


@pytest.mark.parametrize("typed", ["1e309", "nan", "-inf", "1" * 40])
def test_numbers_a_database_cannot_keep_are_refused(rc, session, typed):
    page = _post(rc, f"{BASE}/new/fields", _field(type="number", min=typed))
    assert _error(page, "min") and page.value("min") == typed


# --- hostile input: a message or a redirect, never a server error ----------------------------

PARTS_INPUTS = {
    "new/fields": ("label", "key", "type", "required", "help", "options", "min_length",
                   "max_length", "min", "max", "pattern", "visible_field", "visible_equals"),
    "new/documents": ("name", "key", "mandatory", "originals", "copies"),
    "new/steps": ("text", "in_person"),
    "new/fee-lines": ("label", "amount", "tiers", "per", "times", "cap", "exempt_if"),
    "fee": ("note", "online_payment", "exempt_if"),
    "result": ("name", "template", "authority", "delegation", "title", "verify_fields",
               "register_book"),
}


@HOSTILE_OK
@given(data=st.data())
def test_any_value_in_any_builder_input_gives_a_message_not_a_crash(rc, session, data):
    where = data.draw(st.sampled_from(sorted(PARTS_INPUTS)), label="page")
    values = {name: data.draw(HOSTILE, label=name) for name in PARTS_INPUTS[where]}
    if data.draw(st.booleans(), label="plausible key"):
        values["key"] = "khoa_thu"
    response = rc.client.post(f"{BASE}/{where}", data={"csrf_token": rc.token(BASE), **values})
    assert response.status_code in (303, 400), (where, values, response.status_code)
    if response.status_code == 400:
        assert 'class="errors"' in response.get_data(as_text=True)


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__ }}", "{% for i in range(10**9) %}x{% endfor %}",
    "{{ 'a' * 100000000 }}", "{{ 1/0 }}", "{{ answers.x.y.z }}", "{% include 'base.html' %}",
    "{% extends 'base.html' %}", "{{ answers.husband_name|date }}", "{{ config }}",
    "{{ self.__init__.__globals__ }}", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
])
def test_hostile_result_templates_are_refused_with_a_message(rc, session, template):
    for action in ("save", "sample"):
        response = rc.client.post(f"{BASE}/result", data={
            "csrf_token": rc.token(BASE), "name": "Giấy", "template": template,
            "_action": action})
        assert response.status_code in (303, 400, 200), (template, response.status_code)
        if response.mimetype == "application/pdf":
            assert action == "sample" and response.data.startswith(b"%PDF")
            continue
        body = response.get_data(as_text=True)
        assert "SECRET" not in body and "Traceback" not in body
        if response.status_code == 400:
            assert 'id="err-template"' in body


def test_moves_and_deletes_are_audited_with_the_changed_part(rc, session):
    keys = [f["key"] for f in _draft(session)["fields"]]
    rc.post(f"{BASE}/fields/{keys[1]}/move", {"direction": "up"}, form_page=BASE,
            expected_redirect=BASE)
    rc.post(f"{BASE}/documents/{_draft(session)['documents'][0]['key']}/delete", {},
            form_page=BASE, expected_redirect=BASE)
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "procedure.draft_edit").order_by(AuditEntry.id)).all()[-2:]
    assert entries[0].before == {"fields.order": keys}
    assert entries[0].after["fields.order"][:2] == [keys[1], keys[0]]
    assert entries[1].after == {"documents": None} and entries[1].before["documents"]["key"]
    assert all(e.target_ref == MARRIAGE for e in entries)
