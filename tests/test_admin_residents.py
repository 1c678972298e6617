"""Admin console, residents (issue 13, item 4): search (exact ID number), a read-only page,
every view of a resident's data in the audit log (committed by the GET on both engines),
deactivation with a reason that ends the resident's sessions, and no route that edits them."""

from __future__ import annotations

from sqlalchemy import func, select

from district_portal.db import get_db
from district_portal.models import AuditEntry, User
from district_portal.models import DossierStatus as S
from district_portal.models.types import utcnow
from district_portal.services.accounts.users import create_user
from tests.factories import create_dossier, user
from tests.helpers import ClientRequest, login

ID_NUMBER = "025190000123"


def _rc(app, account) -> ClientRequest:
    client = app.test_client()
    login(client, account)
    return ClientRequest(client)


def _views(session, resident) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "resident.view", AuditEntry.target_ref == resident.public_id)))


def _resident_with_a_dossier_at_x(session) -> User:
    resident = user(session, "resident@demo.test")
    resident.profile = {"applicant_id_number": ID_NUMBER, "applicant_street": "Tổ 5"}
    resident.phone, resident.phone_verified_at = "+84912345001", utcnow()
    d = create_dossier(session, status=S.ACCEPTED, applicant_user=resident)
    session.commit()
    return resident, d


def _stranger(session) -> User:
    """A resident with no dossier anywhere."""
    account = create_user(session, email="nguoi.la@gmail.com", password="x" * 12,
                          roles=["citizen"], full_name="Người Lạ Mặt")
    session.commit()
    return account


def test_search_by_exact_id_number_phone_email_and_name_and_each_result_is_a_logged_view(
        app, session):
    resident, _ = _resident_with_a_dossier_at_x(session)
    admin = user(session, "admin@demo.test")
    rc = _rc(app, admin)
    page = rc.get(f"/admin/residents/?q={ID_NUMBER}")
    assert "Hoàng Thị Dân" in page.text() and ID_NUMBER in page.text()
    assert "0912 345 001" in page.text()
    views = _views(session, resident)
    assert len(views) == 1 and views[0].actor_id == admin.id
    assert "Hoàng Thị Dân" not in rc.get(f"/admin/residents/?q={ID_NUMBER[:-1]}").text()
    for query in ("0912345001", "resident@demo", "Thị Dân"):
        assert "Hoàng Thị Dân" in rc.get(f"/admin/residents/?q={query}").text(), query
    assert len(_views(session, resident)) == 4
    assert "Không có người dân nào phù hợp" in rc.get("/admin/residents/?q=Không+Ai").text()
    rc.get("/admin/residents/")  # no search, no view
    assert len(_views(session, resident)) == 4


def test_the_residents_page_is_read_only_and_logged(app, session):
    resident, d = _resident_with_a_dossier_at_x(session)
    admin = user(session, "admin@demo.test")
    rc = _rc(app, admin)
    page = rc.get(f"/admin/residents/{resident.public_id}")
    assert ID_NUMBER in page.text() and d.code in page.text() and "Tổ 5" in page.text()
    assert [f.get("action") for f in page.findall(".//main//form")] == [
        f"/admin/residents/{resident.public_id}/deactivate"]
    assert page.findall(".//main//input[@name='full_name']") == []
    views = _views(session, resident)
    assert len(views) == 1 and views[0].actor_id == admin.id and views[0].note == "detail page"


def test_no_route_edits_a_resident(app, session):
    rules = {(r.rule, m) for r in app.url_map.iter_rules() if r.rule.startswith("/admin/resid")
             for m in r.methods - {"HEAD", "OPTIONS"}}
    assert rules == {("/admin/residents/", "GET"), ("/admin/residents/<public_id>", "GET"),
                     ("/admin/residents/<public_id>/deactivate", "POST"),
                     ("/admin/residents/<public_id>/reactivate", "POST")}
    resident, _ = _resident_with_a_dossier_at_x(session)
    rc = _rc(app, user(session, "admin.tinh@demo.test"))
    response = rc.client.post(f"/admin/residents/{resident.public_id}", data={
        "csrf_token": rc.token(), "full_name": "Tên Khác"})
    assert response.status_code == 405
    assert user(session, "resident@demo.test").full_name == "Hoàng Thị Dân"


def test_a_commune_admin_reaches_only_residents_with_a_dossier_at_their_office(app, session):
    stranger = _stranger(session)
    staff_member = user(session, "clerk@demo.test")
    rc = _rc(app, user(session, "admin@demo.test"))
    assert "Người Lạ Mặt" not in rc.get("/admin/residents/?q=Lạ").text()
    assert rc.client.get(f"/admin/residents/{stranger.public_id}").status_code == 404
    rc.post(f"/admin/residents/{stranger.public_id}/deactivate", {"reason": "x"},
            form_page="/admin/residents/", expected_status=404)
    assert _views(session, stranger) == []
    province = _rc(app, user(session, "admin.tinh@demo.test"))
    assert "Người Lạ Mặt" in province.get("/admin/residents/?q=Lạ").text()
    province.get(f"/admin/residents/{stranger.public_id}")
    # Staff are not residents: their accounts are on the staff pages.
    assert province.client.get(f"/admin/residents/{staff_member.public_id}").status_code == 404
    assert "Nguyễn Thị Tiếp Nhận" not in province.get("/admin/residents/?q=Tiếp").text()


def test_deactivation_needs_a_reason_ends_the_sessions_and_is_audited(app, session):
    resident, _ = _resident_with_a_dossier_at_x(session)
    theirs = app.test_client()
    login(theirs, resident)
    assert theirs.get("/my/dossiers").status_code == 200
    rc = _rc(app, user(session, "admin@demo.test"))
    url = f"/admin/residents/{resident.public_id}"
    page = rc.post(f"{url}/deactivate", {"reason": "  "}, form_page=url, expected_status=400)
    assert "Hãy nêu lý do" in page.text()
    assert theirs.get("/my/dossiers").status_code == 200
    rc.post(f"{url}/deactivate", {"reason": "Tài khoản bị chiếm đoạt, người dân báo"},
            form_page=url, expected_redirect=url)
    response = theirs.get("/my/dossiers")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    session.expire_all()
    assert not user(session, "resident@demo.test").active
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "resident.deactivate")).one()
    assert entry.note == "Tài khoản bị chiếm đoạt, người dân báo"
    assert entry.before == {"active": True} and entry.after == {"active": False}
    page = rc.post(f"{url}/reactivate", {"reason": "Đã xác minh lại"}, form_page=url,
                   expected_redirect=url)
    assert "Tài khoản đã được mở khóa" in page.text()
    session.expire_all()
    assert user(session, "resident@demo.test").active


def test_a_view_is_committed_by_the_get_itself(fresh_app):
    """The GET's transaction writes (BEGIN IMMEDIATE on SQLite) and commits: the rows are
    there for another connection, on both engines."""
    app = fresh_app()
    database = get_db(app)
    store = database.writer()
    admin = user(store, "admin.tinh@demo.test")
    resident = user(store, "resident@demo.test")
    client = app.test_client()
    login(client, admin)
    public_id = resident.public_id
    store.close()
    assert client.get(f"/admin/residents/{public_id}").status_code == 200
    assert client.get("/admin/residents/?q=Hoàng").status_code == 200
    with database.engine.connect() as other:
        count = other.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "resident.view", AuditEntry.target_ref == public_id))
    assert count == 2


def test_the_residents_pages_open_a_writing_transaction_from_the_start(fresh_app):
    """The user is loaded before the view runs, so the session must be a writing one
    (BEGIN IMMEDIATE on SQLite) from its creation for these GETs, and only for them."""
    from district_portal import db

    app = fresh_app()
    for path, writes in (("/admin/residents/", True), ("/admin/residents/abc", True),
                         ("/admin/catalogue/export.json", True),
                         ("/admin/staff/", False), ("/admin/", False)):
        with app.test_request_context(path):
            options = db.session().get_bind().get_execution_options()
            assert bool(options.get("sqlite_write")) is writes, path
