"""Catalogue import and export from the admin console (issue 13, item 6): the CLI's validation
all or nothing, readable errors, check only, the province's limit, the audit log; and the API
keys page, now the province admins'."""

from __future__ import annotations

import copy
import json
import re

import pytest
from sqlalchemy import func, select

from district_portal.models import AuditEntry, Office, OfficeKind, Procedure, ProcedureVersion
from tests.factories import MARRIAGE, procedure, user
from tests.helpers import ClientRequest, login

PAGE = "/admin/catalogue/"


@pytest.fixture
def province(app, session):
    client = app.test_client()
    login(client, user(session, "admin.tinh@demo.test"))
    return ClientRequest(client)


def _export(rc) -> dict:
    response = rc.client.get("/admin/catalogue/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert re.fullmatch(r'attachment; filename="danh-muc-thu-tuc-\d{4}-\d{2}-\d{2}\.json"',
                        response.headers["Content-Disposition"])
    return json.loads(response.get_data().decode("utf-8"))


def _import(rc, doc, action="import", status=200, raw=None):
    content = raw if raw is not None else json.dumps(doc, ensure_ascii=False).encode("utf-8")
    return rc.post(PAGE, data={"action": action}, form_page=PAGE, expected_status=status,
                   files={"file": (content, "danh-muc.json")})


def _versions(session) -> int:
    return session.scalar(select(func.count()).select_from(ProcedureVersion))


def _imports(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "catalogue.import"))


def _renamed(doc, code=MARRIAGE, name="Đăng ký kết hôn (đã sửa)") -> dict:
    doc = copy.deepcopy(doc)
    entry = next(p for p in doc["procedures"] if p["code"] == code)
    entry["name"] = name
    return doc


def test_export_then_import_changes_nothing(province, session):
    doc = _export(province)
    assert doc["format"] == "district-portal-catalog/2" and doc["procedures"]
    exported = session.scalar(select(AuditEntry).where(AuditEntry.action == "catalogue.export"))
    assert exported.after == {"offices": len(doc["offices"]),
                              "procedures": len(doc["procedures"])}
    versions = _versions(session)
    page = _import(province, doc)
    report = page.text(page.by_id("import-report"))
    assert f"Thủ tục không đổi: {len(doc['procedures'])}" in report
    assert "Thủ tục có phiên bản mới: 0" in report and "Cơ quan cập nhật: 0" in report
    assert _versions(session) == versions
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "catalogue.import"))
    assert entry.after["procedures_unchanged"] == len(doc["procedures"])


def test_an_import_makes_a_new_version_and_is_audited(province, session):
    doc = _renamed(_export(province))
    versions = _versions(session)
    page = _import(province, doc)
    assert "Thủ tục có phiên bản mới: 1" in page.text(page.by_id("import-report"))
    session.expire_all()
    assert procedure(session).name == "Đăng ký kết hôn (đã sửa)"
    assert _versions(session) == versions + 1
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "catalogue.import"))
    assert entry.after["procedures_new_version"] == 1 and entry.target_kind == "catalogue"


def test_check_only_writes_nothing(province, session):
    doc = _renamed(_export(province))
    versions, imports = _versions(session), _imports(session)
    page = _import(province, doc, action="check")
    report = page.text(page.by_id("import-report"))
    assert "chưa lưu gì" in report and "Thủ tục có phiên bản mới: 1" in report
    session.expire_all()
    assert procedure(session).name != "Đăng ký kết hôn (đã sửa)"
    assert _versions(session) == versions and _imports(session) == imports


@pytest.mark.parametrize("action", ["import", "check"])
def test_a_file_with_errors_writes_nothing_and_lists_them(province, session, action):
    doc = _renamed(_export(province))  # one good change ...
    del doc["procedures"][1]["name"]  # ... a missing name
    doc["procedures"][2]["online_level"] = "bogus"  # ... a level that does not exist
    versions, imports = _versions(session), _imports(session)
    page = _import(province, doc, action=action, status=400)
    rows = _error_rows(page)
    assert ["$.procedures[1]", "thiếu mục bắt buộc “name”"] in rows, rows
    assert any(path == "$.procedures[2].online_level" and "không thuộc các giá trị cho phép"
               in msg for path, msg in rows), rows
    assert "2 lỗi" in page.text(page.by_id("import-errors"))
    # The checks beyond the schema (here a field key used twice) read the same way.
    doc = _renamed(_export(province))
    entry = next(p for p in doc["procedures"] if p["code"] == MARRIAGE)
    entry["fields"].append(dict(entry["fields"][0]))
    rows = _error_rows(_import(province, doc, action=action, status=400))
    assert any(path.endswith(".key") and "được dùng nhiều lần" in msg for path, msg in rows), rows
    session.expire_all()
    assert procedure(session).name != "Đăng ký kết hôn (đã sửa)"
    assert _versions(session) == versions and _imports(session) == imports


def _error_rows(page) -> list[list[str]]:
    box = page.by_id("import-errors")
    return [[page.text(td) for td in tr.findall("td")] for tr in box.iter("tr")][1:]


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "Tệp trống"),
    (b"{\"format\": ", "không phải JSON hợp lệ"),
    (b"[NaN]", "không phải JSON hợp lệ"),
    (b"\xff\xfe{}", "không phải văn bản mã UTF-8"),
    (b"[" * 100 + b"]" * 100, "lồng nhau quá nhiều"),
    (b"[" + b"0," * (1024 * 1024) + b"0]", "lớn hơn 2 MB"),
    (b"{}", "thiếu mục bắt buộc"),
])
def test_a_file_that_is_not_a_catalogue_is_refused(province, session, raw, message):
    page = _import(province, None, raw=raw, status=400)
    assert message in page.text(page.by_id("import-errors"))
    assert _imports(session) == 0


def test_no_file_chosen(province):
    page = province.post(PAGE, data={"action": "import"}, form_page=PAGE, expected_status=400)
    assert "Hãy chọn tệp danh mục" in page.text()


def _other_province(session) -> Office:
    other = Office(agency_code="000.00.00.H01", name="UBND thành phố Hà Nội",
                   kind=OfficeKind.PROVINCE)
    session.add(other)
    session.commit()
    return other


def test_an_import_that_touches_another_province_is_refused(province, session):
    _other_province(session)
    doc = _export(province)
    assert _import(province, doc).status == 200  # unchanged entries of it are fine
    changed = copy.deepcopy(doc)
    other = next(o for o in changed["offices"] if o["agency_code"] == "000.00.00.H01")
    other["phone"] = "024 3825 3536"
    page = _import(province, _renamed(changed), status=400)
    text = page.text(page.by_id("import-errors"))
    assert "000.00.00.H01 không thuộc tỉnh của bạn" in text
    session.expire_all()
    assert procedure(session).name != "Đăng ký kết hôn (đã sửa)"
    # A new commune under the other province, and a procedure served there.
    added = copy.deepcopy(doc)
    added["offices"].append({"agency_code": "000.00.01.H01", "name": "UBND phường Ba Đình",
                             "kind": "commune", "parent": "000.00.00.H01"})
    page = _import(province, added, status=400)
    assert "000.00.01.H01 không thuộc tỉnh của bạn" in page.text(page.by_id("import-errors"))
    served = copy.deepcopy(doc)
    next(p for p in served["procedures"] if p["code"] == MARRIAGE)["offices"].append(
        "000.00.00.H01")
    page = _import(province, served, action="check", status=400)
    assert f"thủ tục {MARRIAGE} do cơ quan ngoài tỉnh" in page.text(page.by_id("import-errors"))
    assert session.scalar(select(Office).where(Office.agency_code == "000.00.01.H01")) is None
    assert _imports(session) == 1


def test_a_new_commune_of_the_province_may_be_imported(province, session):
    doc = _export(province)
    doc["offices"].append({"agency_code": "000.00.09.T25", "name": "UBND xã Thử Nghiệm",
                           "kind": "commune", "parent": "000.00.00.T25"})
    page = _import(province, doc)
    assert "Cơ quan tạo mới: 1" in page.text(page.by_id("import-report"))
    assert session.scalar(select(Office).where(Office.agency_code == "000.00.09.T25"))


def test_only_province_admins_import_and_export(app, session):
    for email in ("admin@demo.test", "clerk@demo.test", "resident@demo.test"):
        client = app.test_client()
        login(client, user(session, email))
        for url in (PAGE, "/admin/catalogue/export.json"):
            assert client.get(url).status_code == 404, (email, url)
        assert client.post(PAGE, data={}).status_code in (400, 404)
    assert session.scalar(select(func.count()).select_from(Procedure)) > 0
    assert app.test_client().get(PAGE).status_code == 302


def test_api_keys_are_the_province_admins(app, session, province):
    index = province.get("/admin/")
    links = [a.get("href") for a in index.findall(".//ul[@class='admin-sections']//a")]
    assert "/staff/api-keys/" in links and "/admin/catalogue/" in links
    assert "/admin/calendar/" in links and "/admin/audit/" in links
    province.get("/staff/api-keys/")
    commune = app.test_client()
    login(commune, user(session, "admin@demo.test"))
    assert commune.get("/staff/api-keys/").status_code == 404
    page = commune.get("/admin/").get_data(as_text=True)
    assert "/staff/api-keys/" not in page and "/admin/catalogue/" not in page
    assert "/admin/calendar/" in page and "/admin/audit/" in page
