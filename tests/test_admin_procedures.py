"""The admin console's procedures section (issue 13): the list and its search, creating a
procedure, editing it through the draft (a new version; dossiers keep theirs), publishing,
changing the online level with its deciding document (and /stats showing it), the diff
between versions, and every refusal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from district_portal.models import (
    AuditEntry,
    Office,
    OfficeKind,
    ProcedureLevelChange,
)
from district_portal.services.accounts.users import create_user
from district_portal.services.admin import catalogue_edit as edit
from district_portal.services.admin import procedure_diff
from district_portal.services.admin import procedures as admin_procedures
from tests.factories import BIRTH, MARRIAGE, OTHER_OFFICE, create_dossier, procedure, user
from tests.helpers import ClientRequest, login

NEW = "9.900001"
PARTIAL = "2.000815"  # Chứng thực bản sao: partly online, not ready to be fully online
CREATE = {
    "code": NEW, "name": "Cấp giấy phép thử nghiệm", "field": "Thử nghiệm", "level": "commune",
    "processing_amount": "5", "processing_unit": "working_days", "fee_note": "",
    "applicants": ["person"], "offices": ["000.00.04.T25"], "legal_basis": "Luật Thử nghiệm",
    "online_level": "partial", "fee": "0", "result_name": "Giấy phép thử nghiệm",
}
LEVEL = {"new_level": "none", "decision_no": "1234/QĐ-UBND", "decision_date": "20/11/2026",
         "reason": "Theo quyết định của UBND tỉnh"}


@pytest.fixture
def province_admin(session):
    return user(session, "admin.tinh@demo.test")


@pytest.fixture
def admin_client(app, province_admin):
    client = app.test_client()
    login(client, province_admin)
    return ClientRequest(client)


def _as(app, account) -> ClientRequest:
    client = app.test_client()
    login(client, account)
    return ClientRequest(client)


@pytest.fixture
def other_province_admin(session):
    """The admin of another province (Hà Nội), with one commune and one procedure there."""
    province = Office(agency_code="000.00.00.H01", name="UBND thành phố Hà Nội",
                      kind=OfficeKind.PROVINCE)
    session.add(province)
    session.flush()
    session.add(Office(agency_code="000.00.01.H01", name="UBND phường Hoàn Kiếm",
                       kind=OfficeKind.COMMUNE, parent_id=province.id))
    session.flush()
    account = create_user(session, email="admin.hanoi@x.test", password="pw-123456789",
                          roles=["admin"], office_code="000.00.00.H01", full_name="Quản Trị HN")
    edit.create_procedure(session, account, "9.900777",
                          edit.Properties(name="Thủ tục của Hà Nội", field="Thử nghiệm",
                                          offices=["000.00.01.H01"]), "none", 0, "Giấy")
    session.commit()
    return account


def _audit(session, action: str, ref: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.target_ref == ref)))


# --- the list ---------------------------------------------------------------------------------


def test_the_list_searches_without_accents_and_filters(admin_client):
    page = admin_client.get("/admin/procedures/?q=KHAI+SINH")
    assert BIRTH in page.text() and MARRIAGE not in page.text()
    page = admin_client.get("/admin/procedures/?q=%C4%91%C4%83ng+k%C3%BD+k%E1%BA%BFt+h%C3%B4n")
    assert MARRIAGE in page.text() and BIRTH not in page.text()
    page = admin_client.get("/admin/procedures/?level=partial")
    assert PARTIAL in page.text() and BIRTH not in page.text()
    page = admin_client.get("/admin/procedures/?published=no")
    assert "Tìm thấy 0 thủ tục." in page.text()
    page = admin_client.get("/admin/procedures/?office=000.00.05.T25")
    assert PARTIAL not in page.text() and BIRTH in page.text()
    page = admin_client.get("/admin/procedures/?field=H%E1%BB%99+t%E1%BB%8Bch&page=1")
    assert BIRTH in page.text() and "2.000575" not in page.text()


def test_the_list_shows_state_version_and_draft(session, admin_client, province_admin):
    proc = procedure(session, BIRTH)
    admin_procedures.store_draft(session, province_admin, proc,
                                 admin_procedures.draft_data(session, proc))
    session.commit()
    page = admin_client.get("/admin/procedures/?q=khai+sinh")
    row = page.find(".//tbody/tr")
    assert "Đã công bố" in page.text(row) and "Đang có bản nháp" in page.text(row)
    assert page.text(row.findall("td")[2]) == page.text(
        admin_client.get(f"/admin/procedures/{BIRTH}").by_id("level"))
    assert page.text(row.findall("td")[3]) == str(proc.current_version.number)


def test_a_commune_admin_gets_404_everywhere_here(app, session):
    commune_admin = _as(app, user(session, "admin@demo.test"))
    for url in ("/admin/procedures/", "/admin/procedures/new", f"/admin/procedures/{BIRTH}",
                f"/admin/procedures/{BIRTH}/edit", f"/admin/procedures/{BIRTH}/level",
                f"/admin/procedures/{BIRTH}/versions"):
        commune_admin.get(url, expected_status=404)
    commune_admin.post(f"/admin/procedures/{BIRTH}/unpublish", expected_status=404)
    assert procedure(session, BIRTH).published


def test_an_admin_of_another_province_gets_404_on_our_procedures(app, session,
                                                                 other_province_admin):
    other = _as(app, other_province_admin)
    page = other.get("/admin/procedures/")
    assert "9.900777" in page.text() and BIRTH not in page.text()
    other.get(f"/admin/procedures/{BIRTH}", expected_status=404)
    other.post(f"/admin/procedures/{BIRTH}/level", LEVEL, expected_status=404)
    other.post(f"/admin/procedures/{BIRTH}/unpublish", expected_status=404)
    assert procedure(session, BIRTH).published


def test_odd_codes_and_filters_answer_404_or_nothing_never_500(admin_client):
    assert admin_client.client.get("/admin/procedures/a%00b").status_code in (400, 404)
    admin_client.get("/admin/procedures/%C4%91%C3%A2y-kh%C3%B4ng-c%C3%B3", expected_status=404)
    page = admin_client.get("/admin/procedures/?field=kh%C3%B4ng+c%C3%B3&office=X.1&level=z"
                            "&published=maybe&page=x")
    assert "Tìm thấy 0 thủ tục." in page.text()
    assert admin_client.client.get("/admin/procedures/?field=a%00b").status_code == 400


def test_a_post_without_its_csrf_token_is_refused(admin_client, session):
    response = admin_client.client.post(f"/admin/procedures/{BIRTH}/unpublish")
    assert response.status_code == 400
    assert procedure(session, BIRTH).published


# --- create -----------------------------------------------------------------------------------


def test_a_new_procedure_starts_unpublished_at_version_1(session, admin_client, client):
    page = admin_client.post("/admin/procedures/new", CREATE, form_page="/admin/procedures/new",
                             expected_redirect=f"/admin/procedures/{NEW}")
    assert "Chưa công bố" in page.text()
    proc = procedure(session, NEW)
    session.refresh(proc)
    assert not proc.published and proc.current_version.number == 1
    data = proc.current_version.data
    assert data["steps"] and data["fields"] == [] and data["result"] == {
        "name": "Giấy phép thử nghiệm"}
    assert data["legal_basis"] == ["Luật Thử nghiệm"] and data["applicants"] == ["person"]
    change = session.scalar(select(ProcedureLevelChange).where(
        ProcedureLevelChange.procedure_id == proc.id))
    assert change.old_level is None and change.new_level == "partial"
    assert _audit(session, "procedure.create", NEW)
    assert client.get(f"/procedures/{NEW}").status_code == 404
    assert f"/admin/procedures/{NEW}/form" in page.html


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"code": BIRTH}, "code", f"Đã có thủ tục mang mã {BIRTH}."),
    ({"code": "x"}, "code", "Từ 3 đến 32 ký tự"),
    ({"offices": ["000.00.99.T25"]}, "offices", "Không có cơ quan mã 000.00.99.T25."),
    ({"offices": []}, "offices", "Chọn ít nhất một cơ quan tiếp nhận."),
    ({"name": ""}, "name", "Nhập tên thủ tục."),
    ({"processing_amount": "400"}, "processing_amount", "Nhập một số nguyên từ 0 đến 365."),
    ({"online_level": "full"}, "online_level", "Chưa đủ điều kiện trực tuyến toàn trình"),
    ({"level": "district"}, "level", "Chọn cấp thực hiện."),
])
def test_creating_refuses_bad_input_beside_the_field(session, admin_client, change, field,
                                                     message):
    form = {**CREATE, **change}
    page = admin_client.post("/admin/procedures/new", form, form_page="/admin/procedures/new",
                             expected_status=400)
    box = page.by_id(field)
    holder = page.find(f".//*[@id='{field}-error']")
    assert box is not None and holder is not None and message in page.text(holder)
    assert page.value("result_name") == CREATE["result_name"]
    assert page.value("name") == form["name"]
    if change.get("code") != BIRTH:
        assert procedure(session, form["code"]) is None


def test_creating_refuses_an_office_of_another_province(session, admin_client,
                                                        other_province_admin):
    page = admin_client.post("/admin/procedures/new", {**CREATE, "offices": ["000.00.01.H01"]},
                             form_page="/admin/procedures/new", expected_status=400)
    assert "Bạn không quản trị cơ quan mã 000.00.01.H01." in page.text()
    assert procedure(session, NEW) is None


# --- edit through the draft -------------------------------------------------------------------


def _properties(page) -> dict:
    names = ("name", "field", "level", "processing_amount", "processing_unit", "fee_note",
             "legal_basis")
    form = {n: page.value(n) for n in names}
    form["applicants"] = [el.get("value") for el in page.findall(".//input[@name='applicants']")
                          if el.get("checked") is not None]
    form["offices"] = [el.get("value") for el in page.findall(".//input[@name='offices']")
                       if el.get("checked") is not None]
    return form


def test_editing_keeps_a_draft_then_saves_a_new_version(session, admin_client):
    proc = procedure(session, MARRIAGE)
    before = proc.current_version.number
    url = f"/admin/procedures/{MARRIAGE}/edit"
    form = {**_properties(admin_client.get(url)), "name": "Đăng ký kết hôn (sửa)",
            "save_draft": "1"}
    page = admin_client.post(url, form, form_page=url, expected_redirect=url)
    assert page.value("name") == "Đăng ký kết hôn (sửa)"
    session.expire_all()
    assert procedure(session, MARRIAGE).current_version.number == before
    assert admin_procedures.draft_row(session, procedure(session, MARRIAGE)) is not None
    form = {**_properties(page), "save_version": "1"}
    admin_client.post(url, form, form_page=url, expected_redirect=f"/admin/procedures/{MARRIAGE}")
    session.expire_all()
    proc = procedure(session, MARRIAGE)
    assert proc.current_version.number == before + 1 and proc.name == "Đăng ký kết hôn (sửa)"
    assert admin_procedures.draft_row(session, proc) is None
    assert _audit(session, "procedure.edit", MARRIAGE)


def test_a_dossier_filed_under_v1_keeps_its_fields_after_v2(app, session, admin_client,
                                                            province_admin, resident):
    dossier = create_dossier(session, applicant_user=resident)
    proc = dossier.procedure
    old = dossier.procedure_version
    key = old.data["fields"][1]["key"]
    old_label = old.data["fields"][1]["label"]
    # The form builder renames a field in the draft; this section saves it as a new version.
    data = admin_procedures.draft_data(session, proc)
    data["fields"][1]["label"] = "Nhãn mới của trường"
    admin_procedures.store_draft(session, province_admin, proc, data)
    session.commit()
    url = f"/admin/procedures/{proc.code}/edit"
    admin_client.post(url, {**_properties(admin_client.get(url)), "save_version": "1"},
                      form_page=url, expected_redirect=f"/admin/procedures/{proc.code}")
    session.expire_all()
    assert proc.current_version.number == old.number + 1
    assert dossier.procedure_version_id == old.id
    assert dossier.answers.get(key)
    page = _as(app, resident).get(f"/my/dossiers/{dossier.public_id}")
    assert old_label in page.text() and "Nhãn mới của trường" not in page.text()


def test_an_invalid_draft_is_refused_with_readable_vietnamese_errors(session, admin_client,
                                                                     province_admin):
    proc = procedure(session, PARTIAL)
    data = admin_procedures.draft_data(session, proc)
    data["fields"].append(dict(data["fields"][0]))
    admin_procedures.store_draft(session, province_admin, proc, data)
    session.commit()
    url = f"/admin/procedures/{PARTIAL}/edit"
    page = admin_client.post(url, {**_properties(admin_client.get(url)), "save_version": "1"},
                             form_page=url, expected_status=400)
    box = page.by_id("errors")
    assert "được dùng nhiều lần trong thủ tục này" in page.text(box)
    assert f"fields[{len(data['fields']) - 1}].key" in page.text(box)


def test_editing_refuses_an_office_the_admin_does_not_administer(session, admin_client,
                                                                 other_province_admin):
    url = f"/admin/procedures/{MARRIAGE}/edit"
    form = {**_properties(admin_client.get(url)), "offices": ["000.00.01.H01"],
            "save_version": "1"}
    page = admin_client.post(url, form, form_page=url, expected_status=400)
    assert "Bạn không quản trị cơ quan mã 000.00.01.H01." in page.text(
        page.find(".//*[@id='offices-error']"))


# --- publish ----------------------------------------------------------------------------------


def test_unpublishing_hides_the_public_page_at_once_and_publishing_brings_it_back(
        session, admin_client, client):
    assert client.get(f"/procedures/{MARRIAGE}").status_code == 200
    page = admin_client.get(f"/admin/procedures/{MARRIAGE}/unpublish")
    assert "Đồng ý gỡ" in page.text()
    url = f"/admin/procedures/{MARRIAGE}/unpublish"
    admin_client.post(url, form_page=url, expected_redirect=f"/admin/procedures/{MARRIAGE}")
    assert client.get(f"/procedures/{MARRIAGE}").status_code == 404
    assert _audit(session, "procedure.unpublish", MARRIAGE)
    url = f"/admin/procedures/{MARRIAGE}/publish"
    admin_client.post(url, form_page=url, expected_redirect=f"/admin/procedures/{MARRIAGE}")
    assert client.get(f"/procedures/{MARRIAGE}").status_code == 200
    assert _audit(session, "procedure.publish", MARRIAGE)


# --- the online level -------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"decision_no": ""}, "decision_no", "Nhập số văn bản quyết định."),
    ({"decision_date": ""}, "decision_date", "Nhập ngày ban hành văn bản quyết định."),
    ({"decision_date": "31/02/2026"}, "decision_date", "Nhập ngày theo dạng ngày/tháng/năm"),
    ({"reason": ""}, "reason", "Nhập lý do thay đổi."),
    ({"new_level": "partial"}, "new_level", "Thủ tục đang ở mức độ này rồi."),
    ({"new_level": "full"}, "new_level", "Chưa đủ điều kiện trực tuyến toàn trình"),
])
def test_a_level_change_is_refused_without_its_decision_or_when_not_ready(
        session, admin_client, change, field, message):
    url = f"/admin/procedures/{PARTIAL}/level"
    page = admin_client.post(url, {**LEVEL, **change}, form_page=url, expected_status=400)
    assert message in page.text(page.find(f".//*[@id='{field}-error']"))
    assert page.value("decision_no") == {**LEVEL, **change}["decision_no"]
    session.expire_all()
    assert procedure(session, PARTIAL).online_level == "partial"


def test_full_is_refused_with_the_readiness_reasons_in_vietnamese(admin_client):
    url = f"/admin/procedures/{PARTIAL}/level"
    page = admin_client.post(url, {**LEVEL, "new_level": "full"}, form_page=url,
                             expected_status=400)
    text = page.text(page.find(".//*[@id='new_level-error']"))
    assert "trực tiếp" in text or "kết quả" in text, text


def test_a_level_change_makes_a_version_and_records_the_decision(session, admin_client,
                                                                 province_admin):
    proc = procedure(session, PARTIAL)
    before = proc.current_version.number
    url = f"/admin/procedures/{PARTIAL}/level"
    page = admin_client.post(url, LEVEL, form_page=url,
                             expected_redirect=f"/admin/procedures/{PARTIAL}")
    assert "1234/QĐ-UBND" in page.text()
    session.expire_all()
    proc = procedure(session, PARTIAL)
    assert proc.online_level == "none" and proc.current_version.number == before + 1
    assert proc.current_version.data["online_level"] == "none"
    row = session.scalars(select(ProcedureLevelChange).where(
        ProcedureLevelChange.procedure_id == proc.id).order_by(
        ProcedureLevelChange.id.desc())).first()
    assert (row.old_level, row.new_level, row.decision_no, row.decision_date, row.user_id) == (
        "partial", "none", "1234/QĐ-UBND", date(2026, 11, 20), province_admin.id)
    assert _audit(session, "procedure.level", PARTIAL)


def test_a_draft_in_progress_follows_a_level_change(session, province_admin):
    proc = procedure(session, PARTIAL)
    data = admin_procedures.draft_data(session, proc)
    data["name"] += " (nháp)"
    admin_procedures.store_draft(session, province_admin, proc, data)
    edit.change_level(session, province_admin, proc, edit.LevelChange(
        "none", "1/QĐ-UBND", date(2026, 1, 2), "thử"))
    version = admin_procedures.save_draft(session, province_admin, proc)
    assert version.data["online_level"] == "none" and version.data["name"].endswith("(nháp)")


def test_stats_show_the_level_change_with_its_decision_and_the_cache_follows(
        app, session, admin_client, client):
    from district_portal.models.types import utcnow
    from district_portal.services.stats.cache import cached_compute, data_version
    from district_portal.services.stats.catalogue import level_counts_as_of
    from district_portal.services.stats.periods import default_period, today_local

    period = default_period(today_local())
    before = data_version(session)
    moment = utcnow()

    def writer():
        from contextlib import nullcontext
        return nullcontext(session)

    with app.app_context():
        old = cached_compute(session, period, writer=writer, ttl_seconds=3600)
    url = f"/admin/procedures/{PARTIAL}/level"
    admin_client.post(url, LEVEL, form_page=url, expected_redirect=f"/admin/procedures/{PARTIAL}")
    session.expire_all()
    assert data_version(session) != before
    with app.app_context():
        new = cached_compute(session, period, writer=writer, ttl_seconds=3600)
    assert (new.levels.partial, new.levels.none) == (old.levels.partial - 1, old.levels.none + 1)
    # The figures for a past instant still count the procedure at the level it had then.
    assert level_counts_as_of(session, moment) == old.levels
    page = ClientRequest(client).get("/stats")
    table = page.by_id("level-changes")
    assert table is not None
    text = page.text(table)
    assert "Quyết định số 1234/QĐ-UBND ngày 20/11/2026" in text and PARTIAL in text


# --- versions and diff ------------------------------------------------------------------------


def test_the_diff_lists_each_changed_key_path(session, admin_client, province_admin):
    proc = procedure(session, BIRTH)
    data = admin_procedures.draft_data(session, proc)
    key = data["fields"][1]["key"]
    data["fields"][1]["label"] = "Họ và tên của trẻ"
    data["name"] = "Đăng ký khai sinh (mới)"
    removed = data["documents"].pop()["key"]
    admin_procedures.save_version(session, province_admin, proc, data)
    session.commit()
    n = proc.current_version.number
    versions = admin_client.get(f"/admin/procedures/{BIRTH}/versions")
    assert versions.find(f".//input[@name='b'][@value='{n}']").get("checked") is not None
    page = admin_client.get(f"/admin/procedures/{BIRTH}/diff?a={n - 1}&b={n}")
    rows = [page.text(tr) for tr in page.findall(".//table[@id='diff']/tbody/tr")]
    assert any(f"fields › {key} › label" in r and "Họ và tên của trẻ" in r for r in rows), rows
    assert any("name" in r and "Đăng ký khai sinh (mới)" in r and "thay đổi" in r for r in rows)
    assert any(f"documents › {removed}" in r and "bị xóa" in r for r in rows)
    assert len(rows) == 3
    admin_client.get(f"/admin/procedures/{BIRTH}/diff?a=99&b={n}", expected_status=400)


def test_diff_matches_keyed_items_and_numbers_the_rest():
    old = {"fields": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
           "steps": ["one", "two"], "fee": 0}
    new = {"fields": [{"key": "b", "label": "B"}, {"key": "c", "label": "C"}],
           "steps": ["one", "three"], "fee": 15000, "fee_note": "x"}
    changes = {(c.kind, c.where) for c in procedure_diff.diff(old, new)}
    assert changes == {("removed", "fields › a"), ("added", "fields › c"),
                       ("changed", "steps › 2"), ("changed", "fee"), ("added", "fee_note")}


def test_validator_errors_read_in_vietnamese_with_their_path(app):
    with app.test_request_context():
        error = procedure_diff.readable(
            "$.procedures[0].fields[2].key: key 'ho_ten' is used more than once in this procedure")
        assert error.path == "fields[2].key"
        assert error.message == "khóa “ho_ten” được dùng nhiều lần trong thủ tục này"
        assert procedure_diff.readable("$.procedures[0].result: 'name' is a required "
                                       "property").message == "thiếu mục bắt buộc “name”"
        assert procedure_diff.readable("$.procedures[0].steps: [] should be non-empty"
                                       ).message == "không được để trống"
        assert procedure_diff.readable("$.procedures[0].x: something new").message == \
            "something new"


def test_the_section_is_listed_for_province_admins_only(app, session, admin_client):
    assert "/admin/procedures/" in admin_client.get("/admin/").html
    commune = _as(app, user(session, "admin@demo.test")).get("/admin/")
    assert "/admin/procedures/" not in commune.html
    assert OTHER_OFFICE  # the demo's other commune exists (used by the matrix)
