"""Accounts reveal nothing and keep no stale key (issue 11, item 3): a reset link dies when the
password changes by any route; a password may not hold the account's email, phone or name; a
locked account costs the same work as any failed login; registration and reset answer the
same whether or not a contact has an account; links and codes go only to confirmed contacts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from district_portal.models import Notification, User
from district_portal.services.accounts import auth, users
from district_portal.services.accounts.auth import LoginError
from tests.test_accounts import PASSWORD, client_request, login, page_text, register


def _reset_path(store, recipient: str) -> str:
    note = store.scalars(select(Notification).where(Notification.recipient == recipient)
                         .order_by(Notification.id.desc())).first()
    return re.search(r"(/account/reset/[\w.\-]+)", note.text).group(1)


def _notes_to(store, recipient: str) -> list[Notification]:
    return list(store.scalars(select(Notification).where(Notification.recipient == recipient)
                              .order_by(Notification.id)))


def test_a_reset_link_dies_when_the_password_is_changed_on_the_account_page(client, store):
    client_request(client, "/account/forgot", {"login": "resident@demo.test"})
    path = _reset_path(store, "resident@demo.test")
    assert client.get(path).status_code == 200
    login(client, "resident@demo.test", "demo-portal-2026")
    client_request(client, "/account/password", {"current": "demo-portal-2026",
                                                 "password": PASSWORD, "confirm": PASSWORD})
    response = client.get(path)
    assert response.status_code == 400 and "Yêu cầu liên kết mới" in page_text(response)


def test_a_reset_link_dies_when_the_password_changes_outside_the_portal_forms(app, client,
                                                                            store):
    client_request(client, "/account/forgot", {"login": "resident@demo.test"})
    path = _reset_path(store, "resident@demo.test")
    resident = store.scalar(select(User).where(User.email == "resident@demo.test"))
    resident.password_hash = users.hash_password("set-by-an-admin-2026")  # any other route
    store.commit()
    response = client.get(path)
    assert response.status_code == 400
    assert "đã được đổi sau khi liên kết này được gửi" in page_text(response)


@pytest.mark.parametrize("password", [
    "an.nguyen@example.vn", "AN.NGUYEN@example.vn!", "an.nguyen-2026", "0912345678ab",
    "+84912345678", "nguyen van an 99", "NguyễnVănAn", "xyz-Nguyễn-2026",
])
def test_registration_refuses_a_password_with_the_email_phone_or_name(client, store,
                                                                      password):
    page = page_text(register(client, email="an.nguyen@example.vn", password=password,
                              confirm=password, expect=200))
    assert "Đừng dùng email, số điện thoại hoặc họ tên" in page
    assert store.scalar(select(User).where(User.full_name == "Nguyễn Văn An")) is None


def test_changing_or_resetting_the_password_refuses_the_accounts_email(client, store):
    login(client, "resident@demo.test", "demo-portal-2026")
    page = page_text(client_request(client, "/account/password", {
        "current": "demo-portal-2026", "password": "resident@demo.test",
        "confirm": "resident@demo.test"}, expect=200))
    assert "Đừng dùng email" in page
    client_request(client, "/account/logout", page="/account/")
    client_request(client, "/account/forgot", {"login": "resident@demo.test"})
    page = page_text(client_request(client, _reset_path(store, "resident@demo.test"), {
        "password": "Hoang-Thi-Dan", "confirm": "Hoang-Thi-Dan"}, expect=200))
    assert "Đừng dùng email" in page


def test_a_locked_account_costs_the_same_password_check_as_any_failed_login(store,
                                                                           monkeypatch):
    checks = []
    real = auth.password_matches
    monkeypatch.setattr(auth, "password_matches",
                        lambda user, password: checks.append(1) or real(user, password))

    def cost(login_name, password):
        checks.clear()
        with pytest.raises(LoginError):
            auth.authenticate(store, login_name, password)
        return len(checks)

    unknown = cost("nobody@example.vn", "wrong-password")
    wrong = cost("resident@demo.test", "wrong-password")
    for _ in range(9):
        cost("resident@demo.test", "wrong-password")
    assert store.scalar(select(User.locked_until).where(
        User.email == "resident@demo.test")) is not None
    locked_right = cost("resident@demo.test", "demo-portal-2026")
    locked_wrong = cost("resident@demo.test", "wrong-password")
    assert unknown == wrong == locked_right == locked_wrong == 1


def test_registering_a_taken_email_answers_like_a_new_one_and_tells_only_the_owner(app,
                                                                                  store):
    users.create_user(store, email="chu@example.vn", password="x" * 14, roles=["citizen"],
                      full_name="Chủ Email")
    store.commit()
    taken, free = app.test_client(), app.test_client()
    first = register(taken, full_name="Kẻ Dò Tìm", phone="", email="chu@example.vn")
    second = register(free, full_name="Người Mới", phone="", email="moi@example.vn")
    assert first.headers["Location"] == second.headers["Location"]
    flash_taken = page_text(taken.get(first.headers["Location"]))
    flash_free = page_text(free.get(second.headers["Location"]))
    assert "Chúng tôi đã gửi một liên kết tới email" in flash_taken
    assert "Chúng tôi đã gửi một liên kết tới email" in flash_free
    (notice,) = _notes_to(store, "chu@example.vn")
    assert "đã thuộc một tài khoản" in notice.text and "/account/confirm-email/" not in notice.text
    (link,) = _notes_to(store, "moi@example.vn")
    assert "/account/confirm-email/" in link.text
    assert store.scalar(select(func.count()).select_from(User).where(
        User.email == "chu@example.vn")) == 1


def test_an_unconfirmed_email_is_no_login_and_gets_no_reset_link(app, store):
    client = app.test_client()
    register(client, phone="", email="chua.xac.nhan@example.vn")
    client_request(client, "/account/logout", page="/account/")
    assert "không đúng" in page_text(login(client, "chua.xac.nhan@example.vn", expect=200))
    client_request(client, "/account/forgot", {"login": "chua.xac.nhan@example.vn"})
    notes = _notes_to(store, "chua.xac.nhan@example.vn")
    assert len(notes) == 1 and "/account/reset/" not in notes[0].text  # only the link
