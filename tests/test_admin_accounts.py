"""Admin console, staff accounts (issue 13, item 4): creation with a set-password link (no
password typed by the admin), roles, office, job title, deactivation, password and two-step
resets, and every refusal: own roles, the last admin, other offices and provinces, used or
invalid contacts, residents made staff. Audit rows for each change."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from district_portal.models import AuditEntry, Notification, Office, User, UserToken
from district_portal.models.types import utcnow
from district_portal.services.accounts import auth
from district_portal.services.accounts.auth import LoginError
from district_portal.services.accounts.users import create_user
from district_portal.services.admin import accounts
from district_portal.services.notifications import sms_text
from tests.factories import OTHER_OFFICE, staff, user
from tests.helpers import ClientRequest, login

PASSWORD = "ruong-lua-xanh-2026"
X = "000.00.04.T25"  # the commune admin@demo.test administers
PROVINCE_OFFICE = "000.00.00.T25"


def _rc(app, account) -> ClientRequest:
    client = app.test_client()
    login(client, account)
    return ClientRequest(client)


def _new(rc, expected_status=None, expected_redirect=None, **overrides):
    data = {"full_name": "Nguyễn Văn Mới", "email": "moi@ubnd-hoabinh.vn", "phone": "",
            "job_title": "Công chức Tư pháp - Hộ tịch", "office": X, "roles": ["clerk"]}
    data.update(overrides)
    return rc.post("/admin/staff/new", data, form_page="/admin/staff/new",
                   expected_status=expected_status, expected_redirect=expected_redirect)


def _account(session, email) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


def _audits(session, action) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                .order_by(AuditEntry.id)))


def _link(text: str) -> str:
    return re.search(r"(/account/reset/[A-Za-z0-9_.\-]+)", text).group(1)


def _post(rc, url, data=None, page=None, **kw):
    return rc.post(url, data or {}, form_page=page or url, **kw)


# --- creation and the set-password link -------------------------------------------------------


def test_an_admin_creates_a_clerk_who_sets_their_own_password_from_the_emailed_link(app, session):
    admin = user(session, "admin@demo.test")
    page = _new(_rc(app, admin), expected_redirect="/admin/staff/")
    assert "Đã gửi đường dẫn đặt mật khẩu tới moi@ubnd-hoabinh.vn" in page.text()
    clerk = _account(session, "moi@ubnd-hoabinh.vn")
    assert clerk.roles == ["clerk"] and clerk.office.agency_code == X and clerk.active
    assert clerk.job_title == "Công chức Tư pháp - Hộ tịch"
    note = session.scalars(select(Notification).where(
        Notification.recipient == "moi@ubnd-hoabinh.vn")).one()
    assert note.channel == "email" and "3 ngày" in note.text and "tài khoản cán bộ" in note.text
    token = session.scalar(select(UserToken).where(UserToken.user_id == clerk.id))
    assert (token.expires_at - token.created_at).days == 3
    entry = _audits(session, "user.create")[-1]
    assert entry.actor_id == admin.id and entry.target_ref == clerk.public_id
    assert entry.after["roles"] == ["clerk"] and entry.after["office"] == X
    assert "password_hash" not in entry.after and clerk.password_hash not in str(entry.after)
    # Nobody knows the password the account was created with; the link sets one.
    with app.test_request_context(), pytest.raises(LoginError):
        auth.authenticate(session, "moi@ubnd-hoabinh.vn", PASSWORD)
    anon = ClientRequest(app.test_client())
    anon.post(_link(note.text), {"password": PASSWORD, "confirm": PASSWORD},
              form_page=_link(note.text), expected_redirect="/account/login")
    response = anon.client.post("/account/login", data={
        "csrf_token": anon.token(), "login": "moi@ubnd-hoabinh.vn", "password": PASSWORD})
    assert response.headers["Location"].endswith("/account/two-factor/")
    assert anon.client.get("/account/two-factor/").headers["Location"].endswith(
        "/account/two-factor/setup")  # enrols at the first login
    again = anon.client.get(_link(note.text))
    assert again.status_code == 400  # the link works once


def test_a_phone_only_account_gets_the_link_by_sms_whole_within_one_message(app, session):
    rc = _rc(app, user(session, "admin@demo.test"))
    page = _new(rc, email="", phone="0987 654 321", expected_redirect="/admin/staff/")
    assert "Đã gửi đường dẫn đặt mật khẩu tới 0987 654 321" in page.text()
    note = session.scalars(select(Notification).where(
        Notification.recipient == "+84987654321")).one()
    assert note.channel == "sms" and _link(note.text) in sms_text(note.text)
    account = session.scalar(select(User).where(User.phone == "+84987654321"))
    assert account.phone_verified_at is not None and account.email is None
    anon = ClientRequest(app.test_client())
    anon.post(_link(note.text), {"password": PASSWORD, "confirm": PASSWORD},
              form_page=_link(note.text), expected_redirect="/account/login")
    response = anon.client.post("/account/login", data={
        "csrf_token": anon.token(), "login": "0987 654 321", "password": PASSWORD})
    assert response.headers["Location"].endswith("/account/two-factor/")


def test_a_commune_admin_cannot_move_their_staff_to_another_office(app, session):
    clerk = user(session, "clerk@demo.test")
    rc = _rc(app, user(session, "admin@demo.test"))
    url = f"/admin/staff/{clerk.public_id}"
    page = _post(rc, url, {"roles": ["clerk"], "office": OTHER_OFFICE, "job_title": "Mới"},
                 page=url, expected_status=400)
    assert "Hãy chọn một cơ quan do bạn quản trị" in page.text()
    assert page.value("job_title") == "Mới"
    assert _account(session, "clerk@demo.test").office.agency_code == X
    assert _audits(session, "user.edit") == []


def test_the_service_refuses_a_bad_phone_without_the_form(app, session):
    data = accounts.NewStaff(full_name="A", email=None, phone="0210 3846 100", job_title=None,
                             office_code=X, roles=("clerk",))
    with app.test_request_context(), pytest.raises(accounts.StaffError) as refused:
        accounts.create_staff(session, user(session, "admin@demo.test"), data,
                              secret_key="k", base_url="http://x")
    assert refused.value.field == "phone"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"email": "khong-phai-email"}, "email", "Nhập địa chỉ thư điện tử như"),
    ({"phone": "12345"}, "phone", "Nhập số điện thoại di động Việt Nam"),
    ({"email": "", "phone": ""}, "email", "Hãy nhập email hoặc số điện thoại"),
    ({"full_name": ""}, "full_name", "Hãy nhập họ và tên"),
    ({"roles": []}, "roles", "Hãy chọn ít nhất một vai trò"),
    ({"roles": ["citizen"]}, "roles", "Hãy chọn vai trò trong số"),
    ({"office": OTHER_OFFICE}, "office", "Hãy chọn một cơ quan do bạn quản trị"),
    ({"email": "da.co@ubnd-hoabinh.vn"}, "email", "Đã có tài khoản dùng email này"),
    ({"email": "nguoi.dan@gmail.com"}, "email", "Đã có tài khoản dùng email này"),
])
def test_bad_input_is_refused_in_vietnamese_with_400_and_what_was_typed_kept(
        app, session, overrides, field, message):
    staff(session, "clerk", office=X, email="da.co@ubnd-hoabinh.vn")
    create_user(session, email="nguoi.dan@gmail.com", password="x" * 12, roles=["citizen"],
                full_name="Người Dân")
    session.commit()
    rc = _rc(app, user(session, "admin@demo.test"))
    page = _new(rc, expected_status=400, **{"full_name": "Trần Thị Gõ", **overrides})
    assert message in page.text(), page.text()
    assert page.find(f".//*[@id='{field}-error']") is not None
    for name in ("full_name", "email", "phone", "job_title"):
        typed = overrides.get(name, {"full_name": "Trần Thị Gõ", "email": "moi@ubnd-hoabinh.vn",
                                     "job_title": "Công chức Tư pháp - Hộ tịch"}.get(name, ""))
        assert page.value(name) == typed
    assert _account(session, "moi@ubnd-hoabinh.vn") is None


def test_a_phone_already_used_is_refused(app, session):
    other = staff(session, "clerk", office=X)
    other.phone, other.phone_verified_at = "+84912000111", utcnow()
    session.commit()
    page = _new(_rc(app, user(session, "admin@demo.test")), phone="0912 000 111",
                expected_status=400)
    assert "Đã có tài khoản dùng số điện thoại này" in page.text()


# --- scope --------------------------------------------------------------------------------------


def test_a_commune_admin_reaches_only_their_own_offices_staff(app, session):
    elsewhere = staff(session, "clerk", office=OTHER_OFFICE)
    session.commit()
    rc = _rc(app, user(session, "admin@demo.test"))
    listed = rc.get("/admin/staff/")
    assert "Nguyễn Thị Tiếp Nhận" in listed.text() and elsewhere.email not in listed.html
    for url in (f"/admin/staff/{elsewhere.public_id}",):
        assert rc.client.get(url).status_code == 404
    for action in ("deactivate", "reset-password", "reset-two-factor", ""):
        url = f"/admin/staff/{elsewhere.public_id}" + (f"/{action}" if action else "")
        assert _post(rc, url, {"roles": ["clerk"], "office": X}, page="/admin/staff/new",
                     expected_status=404)
    assert _account(session, elsewhere.email).active
    province = _rc(app, user(session, "admin.tinh@demo.test"))
    assert elsewhere.email in province.get("/admin/staff/").html
    province.get(f"/admin/staff/{elsewhere.public_id}")


def test_an_admin_of_another_province_touches_nothing_here(app, session):
    hanoi = Office(agency_code="000.00.00.H01", name="UBND thành phố Hà Nội", kind="province")
    session.add(hanoi)
    session.flush()
    outsider = staff(session, "admin", office="000.00.00.H01")
    clerk = user(session, "clerk@demo.test")
    session.commit()
    rc = _rc(app, outsider)
    assert "clerk@demo.test" not in rc.get("/admin/staff/").html
    assert rc.client.get(f"/admin/staff/{clerk.public_id}").status_code == 404
    _post(rc, f"/admin/staff/{clerk.public_id}/deactivate", page="/admin/staff/new",
          expected_status=404)
    _new(rc, office=X, expected_status=400)
    assert _account(session, "clerk@demo.test").active


def test_the_list_searches_and_filters(app, session):
    rc = _rc(app, user(session, "admin.tinh@demo.test"))
    page = rc.get("/admin/staff/?q=Lan")
    assert "Ngô Thị Lan" in page.text() and "Lý Thị Thu" not in page.text()
    page = rc.get("/admin/staff/?role=leader&office=000.00.05.T25")
    assert "Vũ Đức Thắng" in page.text() and "Lê Văn Lãnh Đạo" not in page.text()
    assert page.value("role") == "leader"
    assert "Không có tài khoản" in rc.get("/admin/staff/?active=no").text()


# --- changes and refusals -----------------------------------------------------------------------


def test_roles_office_and_job_title_change_and_are_audited(app, session):
    clerk = staff(session, "clerk", office="000.00.05.T25")
    session.commit()
    rc = _rc(app, user(session, "admin.tinh@demo.test"))
    _post(rc, f"/admin/staff/{clerk.public_id}",
          {"roles": ["clerk", "officer"], "office": "000.00.06.T25", "job_title": "Phó Chủ tịch"},
          page=f"/admin/staff/{clerk.public_id}", expected_redirect="/admin/staff/")
    changed = _account(session, clerk.email)
    assert changed.roles == ["clerk", "officer"] and changed.office.agency_code == "000.00.06.T25"
    entry = _audits(session, "user.edit")[-1]
    assert entry.before["roles"] == ["clerk"] and entry.after["roles"] == ["clerk", "officer"]
    assert entry.before["office"] == "000.00.05.T25" and entry.after["job_title"] == "Phó Chủ tịch"


def test_an_admin_cannot_raise_their_own_roles_nor_move_themselves(app, session):
    admin = user(session, "admin@demo.test")
    rc = _rc(app, admin)
    url = f"/admin/staff/{admin.public_id}"
    page = _post(rc, url, {"roles": ["admin", "leader"], "office": X}, page=url,
                 expected_status=403)
    assert "Bạn không thể tự giao cho mình vai trò" in page.text()
    province = user(session, "admin.tinh@demo.test")
    rc = _rc(app, province)
    url = f"/admin/staff/{province.public_id}"
    page = _post(rc, url, {"roles": ["admin"], "office": X}, page=url, expected_status=403)
    assert "Bạn không thể tự chuyển mình sang cơ quan khác" in page.text()
    page = _post(rc, f"{url}/deactivate", page=url, expected_status=403)
    assert "Bạn không thể tự khóa tài khoản" in page.text()
    _post(rc, f"{url}/reset-password", page=url, expected_status=403)
    session.expire_all()
    assert user(session, "admin@demo.test").roles == ["admin"]
    assert province.office.agency_code == PROVINCE_OFFICE and province.active


def test_the_last_province_admin_keeps_the_admin_role(app, session):
    province = user(session, "admin.tinh@demo.test")
    province.roles = ["admin", "officer"]
    session.commit()
    rc = _rc(app, province)
    url = f"/admin/staff/{province.public_id}"
    page = _post(rc, url, {"roles": ["officer"], "office": PROVINCE_OFFICE}, page=url,
                 expected_status=409)
    assert "quản trị viên đang hoạt động cuối cùng" in page.text()
    assert _account(session, "admin.tinh@demo.test").roles == ["admin", "officer"]
    # With a second province-level admin (at the service centre), the first may step down.
    staff(session, "admin", office="000.01.00.T25")
    session.commit()
    _post(rc, url, {"roles": [], "office": PROVINCE_OFFICE}, page=url, expected_status=400)
    rc.post(url, {"roles": ["officer"], "office": PROVINCE_OFFICE}, form_page=url,
            expected_status=303)
    assert _account(session, "admin.tinh@demo.test").roles == ["officer"]


def test_the_last_province_admin_cannot_be_deactivated(app, session):
    province = user(session, "admin.tinh@demo.test")
    other = staff(session, "admin", office="000.01.00.T25")
    other.active = False  # gone meanwhile: `province` is the last active one
    session.flush()
    with app.test_request_context(), pytest.raises(accounts.StaffError, match="cuối cùng"):
        accounts.set_active(session, other, province, False)
    assert province.active


def test_a_commune_admin_may_step_down_because_the_province_admins_still_reach_the_commune(
        app, session):
    admin = user(session, "admin@demo.test")
    admin.roles = ["admin", "clerk"]
    session.commit()
    rc = _rc(app, admin)
    url = f"/admin/staff/{admin.public_id}"
    rc.post(url, {"roles": ["clerk"], "office": X}, form_page=url, expected_status=303)
    assert _account(session, "admin@demo.test").roles == ["clerk"]


def test_a_resident_cannot_be_made_staff_here(app, session):
    resident = user(session, "resident@demo.test")
    rc = _rc(app, user(session, "admin.tinh@demo.test"))
    assert rc.client.get(f"/admin/staff/{resident.public_id}").status_code == 404
    _post(rc, f"/admin/staff/{resident.public_id}", {"roles": ["clerk"], "office": X},
          page="/admin/staff/new", expected_status=404)
    assert _account(session, "resident@demo.test").roles == ["citizen"]


# --- deactivation and resets ---------------------------------------------------------------------


def test_deactivation_logs_the_person_out_at_their_next_request_and_is_audited(app, session):
    clerk = user(session, "clerk@demo.test")
    theirs = app.test_client()
    login(theirs, clerk)
    assert theirs.get("/staff/worklist").status_code == 200
    rc = _rc(app, user(session, "admin@demo.test"))
    url = f"/admin/staff/{clerk.public_id}"
    page = _post(rc, f"{url}/deactivate", page=url, expected_redirect=url)
    assert "Đã khóa tài khoản" in page.text()
    response = theirs.get("/staff/worklist")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    entry = _audits(session, "user.deactivate")[-1]
    assert entry.before["active"] is True and entry.after["active"] is False
    _post(rc, f"{url}/reactivate", page=url, expected_redirect=url)
    assert _account(session, "clerk@demo.test").active
    assert _audits(session, "user.reactivate")


def test_log_out_everywhere_ends_the_sessions_and_keeps_the_password(app, session):
    clerk = user(session, "clerk@demo.test")
    theirs = app.test_client()
    login(theirs, clerk)
    assert theirs.get("/staff/worklist").status_code == 200
    admin = user(session, "admin@demo.test")
    rc = _rc(app, admin)
    url = f"/admin/staff/{clerk.public_id}"
    page = _post(rc, f"{url}/end-sessions", page=url, expected_redirect=url)
    assert "Mọi phiên đăng nhập của người này đã kết thúc" in page.text()
    response = theirs.get("/staff/worklist")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    session.expire_all()
    with app.test_request_context():
        assert auth.authenticate(session, "clerk@demo.test", "demo-portal-2026").id == clerk.id
    assert _audits(session, "user.end_sessions")[-1].target_ref == clerk.public_id
    # Not on oneself (the account page logs out), and a 404 outside the admin's offices.
    _post(rc, f"/admin/staff/{admin.public_id}/end-sessions", page=url, expected_status=403)
    other = staff(session, "clerk", office=OTHER_OFFICE)
    _post(rc, f"/admin/staff/{other.public_id}/end-sessions", page=url, expected_status=404)


def test_a_password_reset_kills_the_old_password_and_sessions_and_sends_a_link(app, session):
    clerk = user(session, "clerk@demo.test")
    theirs = app.test_client()
    login(theirs, clerk)
    rc = _rc(app, user(session, "admin@demo.test"))
    url = f"/admin/staff/{clerk.public_id}"
    page = _post(rc, f"{url}/reset-password", page=url, expected_redirect=url)
    assert "Đã gửi đường dẫn đặt mật khẩu tới clerk@demo.test" in page.text()
    assert theirs.get("/staff/worklist").status_code == 302
    session.expire_all()
    with app.test_request_context(), pytest.raises(LoginError):
        auth.authenticate(session, "clerk@demo.test", "demo-portal-2026")
    note = session.scalars(select(Notification).where(
        Notification.recipient == "clerk@demo.test").order_by(Notification.id.desc())).first()
    assert "mật khẩu cũ không còn dùng được" in note.text
    ClientRequest(app.test_client()).post(
        _link(note.text), {"password": PASSWORD, "confirm": PASSWORD},
        form_page=_link(note.text), expected_redirect="/account/login")
    entry = _audits(session, "user.reset_password")[-1]
    assert entry.target_ref == clerk.public_id and entry.after is None


def test_a_two_factor_reset_removes_the_secret_and_codes_and_ends_sessions(app, session):
    clerk = user(session, "clerk@demo.test")
    session.add(UserToken(user_id=clerk.id, purpose="recovery_code", token_hash="s$abc",
                          expires_at=utcnow(), created_at=utcnow()))
    session.commit()
    theirs = app.test_client()
    login(theirs, clerk)
    rc = _rc(app, user(session, "admin@demo.test"))
    url = f"/admin/staff/{clerk.public_id}"
    _post(rc, f"{url}/reset-two-factor", page=url, expected_redirect=url)
    account = _account(session, "clerk@demo.test")
    assert account.totp_secret is None and account.totp_enabled_at is None
    assert session.scalars(select(UserToken).where(
        UserToken.user_id == clerk.id, UserToken.purpose == "recovery_code")).all() == []
    assert theirs.get("/staff/worklist").status_code == 302
    entry = _audits(session, "user.reset_two_factor")[-1]
    assert entry.before == {"two_factor": True} and entry.after == {"two_factor": False}
    assert "JBSWY3DP" not in str(entry.before) + str(entry.after)
