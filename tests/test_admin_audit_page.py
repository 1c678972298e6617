"""The audit-log page of the admin console (issue 13, item 6): filters, pages newest first, the
before/after comparison, CSV with the same filters, scoping, and no route that edits."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from district_portal.models.types import utcnow
from district_portal.services.admin import audit
from district_portal.text import to_local
from tests.factories import DEMO_OFFICE, OTHER_OFFICE, office, user
from tests.helpers import ClientRequest, login

PROVINCE_OFFICE = "000.00.00.T25"


@pytest.fixture
def entries(session):
    """Three entries: the commune admin's phone change at office X, the province admin's
    calendar day at office Y, a province admin's catalogue export."""
    commune_admin = user(session, "admin@demo.test")
    province_admin = user(session, "admin.tinh@demo.test")
    audit.record(session, commune_admin, "office.edit", "office", DEMO_OFFICE,
                 before={"phone": "0210 1", "name": "X"}, after={"phone": "0210 2", "name": "X"},
                 office=office(session))
    audit.record(session, province_admin, "calendar.add", "calendar", f"{OTHER_OFFICE} day",
                 before=None, after={"kind": "off"}, office=office(session, OTHER_OFFICE))
    audit.record(session, province_admin, "catalogue.export", "catalogue", "",
                 after={"procedures": 7}, office=office(session, PROVINCE_OFFICE))
    session.commit()


def _client(app, session, email) -> ClientRequest:
    client = app.test_client()
    login(client, user(session, email))
    return ClientRequest(client)


def _actions(page) -> list[str]:
    return [page.text(s.find("p/strong")) for s in page.findall(".//section[@class='act']")]


def test_the_page_lists_entries_newest_first_with_before_and_after(app, session, entries):
    page = _client(app, session, "admin.tinh@demo.test").get("/admin/audit/")
    assert _actions(page) == ["Xuất danh mục", "Thêm ngày vào lịch", "Sửa cơ quan"]
    first = page.findall(".//section[@class='act']")[2]
    assert "Phạm Quản Trị" in page.text(first) and DEMO_OFFICE in page.text(first)
    rows = [[page.text(c) for c in tr] for tr in first.iter("tr")][1:]
    assert rows == [["Điện thoại", "0210 1", "0210 2"]]  # only the changed key, named


@pytest.mark.parametrize(("query", "expected"), [
    ("action=calendar.add", ["Thêm ngày vào lịch"]),
    ("kind=office", ["Sửa cơ quan"]),
    ("actor=admin%40demo.test", ["Sửa cơ quan"]),
    ("target=000.00.05", ["Thêm ngày vào lịch"]),
    ("since={today}&until={today}", ["Xuất danh mục", "Thêm ngày vào lịch", "Sửa cơ quan"]),
    ("until={yesterday}", []),
    ("since={tomorrow}", []),
])
def test_filters_and_the_csv_agree(app, session, entries, query, expected):
    today = to_local(utcnow()).date()
    query = query.format(today=today, yesterday=today - timedelta(days=1),
                         tomorrow=today + timedelta(days=1))
    rc = _client(app, session, "admin.tinh@demo.test")
    page = rc.get(f"/admin/audit/?{query}")
    assert _actions(page) == expected
    if not expected:
        assert page.by_id("no-entries") is not None
    response = rc.client.get(f"/admin/audit/audit.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="nhat-ky-quan-tri-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["at", "actor", "action"]
    labels = {"catalogue.export": "Xuất danh mục", "calendar.add": "Thêm ngày vào lịch",
              "office.edit": "Sửa cơ quan"}
    assert [labels[r[2]] for r in rows[1:]] == expected


def test_a_bad_filter_is_a_400_with_the_values_kept(app, session, entries):
    rc = _client(app, session, "admin.tinh@demo.test")
    page = rc.get("/admin/audit/?since=1800-01-01&actor=Phạm", expected_status=400)
    assert page.findall(".//span[@class='error-msg']") and page.value("actor") == "Phạm"
    assert rc.client.get("/admin/audit/audit.csv?since=1800-01-01").status_code == 400


def test_a_commune_admin_reads_only_their_office(app, session, entries):
    page = _client(app, session, "admin@demo.test").get("/admin/audit/")
    assert _actions(page) == ["Sửa cơ quan"]
    options = [o.get("value") for o in page.findall(".//select[@name='action']/option")]
    assert options == ["", "office.edit"]
    rc = _client(app, session, "admin@demo.test")
    body = rc.client.get("/admin/audit/audit.csv").get_data(as_text=True)
    assert "office.edit" in body and "calendar.add" not in body
    # Another commune's admin sees the day entered for their office, not X's change.
    from tests.factories import staff
    other_admin = staff(session, "admin", office=OTHER_OFFICE)
    session.commit()
    client = app.test_client()
    login(client, other_admin)
    assert _actions(ClientRequest(client).get("/admin/audit/")) == ["Thêm ngày vào lịch"]


def test_pages_of_fifty(app, session):
    admin = user(session, "admin.tinh@demo.test")
    for i in range(audit.PAGE_SIZE + 3):
        audit.record(session, admin, "office.edit", "office", f"ref-{i:03d}",
                     office=office(session))
    session.commit()
    rc = _client(app, session, "admin.tinh@demo.test")
    first = rc.get("/admin/audit/?kind=office")
    assert len(_actions(first)) == audit.PAGE_SIZE and "page=2" in first.html
    assert "kind=office" in first.find(".//p[@class='pages']/a").get("href")
    second = rc.get("/admin/audit/?kind=office&page=2")
    assert len(_actions(second)) == 3 and "ref-000" in second.text()


def test_no_route_changes_or_deletes_an_entry(app, session):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin/audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    rc = _client(app, session, "admin.tinh@demo.test")
    for method in ("post", "put", "delete", "patch"):
        assert getattr(rc.client, method)("/admin/audit/").status_code in (400, 405)


def test_non_admins_get_404(app, session):
    for email in ("clerk@demo.test", "leader@demo.test", "resident@demo.test"):
        client = app.test_client()
        login(client, user(session, email))
        assert client.get("/admin/audit/").status_code == 404
        assert client.get("/admin/audit/audit.csv").status_code == 404


def test_the_date_filters_are_vietnamese_calendar_days(session):
    from datetime import UTC, date, datetime

    from district_portal.models import AuditEntry

    # 18:30 UTC on the 28th is 01:30 on the 29th in Hà Nội.
    session.add(AuditEntry(at=datetime(2026, 11, 28, 18, 30, tzinfo=UTC), action="office.edit",
                           target_kind="office", target_ref="late"))
    session.flush()

    def found(**dates):
        return [e.target_ref for e in audit.search(session, audit.AuditFilter(**dates))[0]]

    assert found(since=date(2026, 11, 29), until=date(2026, 11, 29)) == ["late"]
    assert found(until=date(2026, 11, 28)) == []
