"""Accounts: registration, phone codes, login and lockout, sessions, password reset."""

from __future__ import annotations

import gzip
import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Notification, User, UserToken
from district_portal.models.types import utcnow
from district_portal.services.accounts import auth, reset
from district_portal.services.accounts.auth import AccountError, LoginError
from district_portal.views.account import safe_next
from tests.helpers import Page, scripts

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "ruong-lua-xanh-2026"


@pytest.fixture
def service(app):
    """A session for calling services directly, inside a request context (messages are
    translated lazily, and the locale comes from the request)."""
    with app.test_request_context():
        session = get_db(app).writer()
        yield session
        session.close()


def client_request(client, url, data=None, *, page=None, expect=302):
    """GET `page` (default `url`), take its CSRF token, POST `data` to `url`; check the status."""
    html = client.get(page or url).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no csrf token on {page or url}"
    response = client.post(url, data={"csrf_token": match.group(1), **(data or {})})
    assert response.status_code == expect, response.get_data(as_text=True)[:2000]
    return response


def register(client, expect=302, **overrides):
    data = {"full_name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "",
            "password": PASSWORD, "confirm": PASSWORD, "consent": "y", **overrides}
    return client_request(client, "/account/register", data, expect=expect)


def user_by(store, **kw) -> User | None:
    return store.scalar(select(User).filter_by(**kw))


def last_sms(store, phone: str) -> str:
    note = store.scalars(select(Notification).where(
        Notification.channel == "sms", Notification.recipient == phone)
        .order_by(Notification.id.desc())).first()
    assert note is not None
    return note.text


def sms_code(store, phone="+84912345678") -> str:
    return re.search(r"\b(\d{6})\b", last_sms(store, phone)).group(1)


def page_text(response) -> str:
    return response.get_data(as_text=True)


def login(client, login_name, password=PASSWORD, expect=302, **extra):
    return client_request(client, "/account/login",
                          {"login": login_name, "password": password, **extra}, expect=expect)


# --- Registration -------------------------------------------------------------------------

def test_a_resident_registers_with_a_phone_and_gets_an_sms_code(client, store):
    response = register(client)
    assert response.headers["Location"].endswith("/account/verify-phone")
    user = user_by(store, phone="+84912345678")
    assert user.full_name == "Nguyễn Văn An" and user.roles == ["citizen"]
    assert user.consent_at is not None and user.phone_verified_at is None
    assert user.password_hash != PASSWORD
    token = store.scalar(select(UserToken).where(UserToken.user_id == user.id))
    code = sms_code(store)
    assert token.purpose == "verify_phone" and code not in token.token_hash
    assert token.expires_at - token.created_at == timedelta(minutes=10)
    assert "Ma xac nhan" in last_sms(store, "+84912345678")


def test_the_confirmed_phone_becomes_a_login(client, store):
    register(client)
    response = client_request(client, "/account/verify-phone", {"code": sms_code(store)})
    assert response.headers["Location"].endswith("/account/")
    assert user_by(store, phone="+84912345678").phone_verified_at is not None
    client_request(client, "/account/logout", page="/account/")
    response = login(client, "0912345678")
    assert response.headers["Location"].endswith("/account/")
    assert "Nguyễn Văn An" in page_text(client.get("/account/"))


def test_an_unconfirmed_phone_with_a_wrong_password_is_not_a_login(client, store):
    register(client)
    client_request(client, "/account/logout", page="/account/")
    response = login(client, "0912 345 678", PASSWORD + "x", expect=200)
    assert "không đúng" in page_text(response)


def test_the_right_password_on_an_unconfirmed_phone_leads_to_the_confirmation_page(client,
                                                                                    store):
    register(client)
    client_request(client, "/account/logout", page="/account/")
    response = login(client, "0912 345 678")
    assert response.headers["Location"].endswith("/account/verify-phone")
    page = page_text(client.get("/account/verify-phone"))
    assert "Xác nhận số điện thoại" in page and "Gửi mã mới" in page
    client_request(client, "/account/verify-phone", {"code": sms_code(store)})
    assert user_by(store, full_name="Nguyễn Văn An").phone_verified_at is not None


def test_a_resident_registers_with_email_only_and_confirms_it_by_the_link(client, store):
    response = register(client, phone="", email="  An.Nguyen@Example.VN ")
    assert response.headers["Location"].endswith("/account/")
    user = user_by(store, pending_email="an.nguyen@example.vn")
    assert user is not None and user.phone is None and user.email is None
    note = store.scalars(select(Notification).where(
        Notification.recipient == "an.nguyen@example.vn")).one()
    path = re.search(r"(/account/confirm-email/[\w.\-]+)", note.text).group(1)
    confirm_page = Page(client.get(path))
    confirm_page.check()
    assert "an.nguyen@example.vn" in confirm_page.text()
    client_request(client, path)
    store.expire_all()
    user = user_by(store, email="an.nguyen@example.vn")
    assert user is not None and user.pending_email is None
    again = client.get(path)
    assert again.status_code == 400


def test_registration_needs_a_phone_or_an_email(client):
    page = page_text(register(client, phone="", email="", expect=200))
    assert "Nhập số điện thoại di động hoặc email" in page


@pytest.mark.parametrize("field, value, message", [
    ("full_name", "", "Nhập họ và tên"),
    ("full_name", "A" * 201, "tối đa 200 ký tự"),
    ("phone", "12345", "Nhập số điện thoại Việt Nam như 0912 345 678"),
    ("phone", "+1 202 555 0143", "Nhập số điện thoại di động Việt Nam"),
    ("phone", "abc", "Nhập số điện thoại Việt Nam như 0912 345 678"),
    ("phone", "024 3825 1234", "số cố định"),
    ("email", "not-an-email", "Nhập địa chỉ email"),
    ("password", "short", "ít nhất 8 ký tự"),
    ("password", "12345678", "quá phổ biến"),
    ("password", "Password", "quá phổ biến"),
    ("password", "matkhau123", "quá phổ biến"),
    ("consent", "", "Đánh dấu ô"),
])
def test_registration_refuses_bad_input_and_keeps_what_was_typed(client, store, field,
                                                                  value, message):
    data = {field: value}
    if field == "password":
        data["confirm"] = value
    page = page_text(register(client, expect=200, **data))
    assert message in page
    assert 'class="errors"' in page
    assert user_by(store, full_name="Nguyễn Văn An") is None
    if field != "full_name":
        assert 'value="Nguyễn Văn An"' in page
    assert PASSWORD not in page  # passwords are never sent back


def test_registration_refuses_different_password_confirmation(client):
    page = page_text(register(client, confirm="another-password-99", expect=200))
    assert "Hai mật khẩu không giống nhau" in page


def test_script_in_the_name_is_escaped_on_every_page(client, store):
    register(client, full_name="<script>alert(1)</script>", phone="", email="x@example.vn")
    page = page_text(client.get("/account/"))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_direction_overrides_and_stray_combining_marks_are_removed_from_the_name(client,
                                                                                store):
    name = "\u202eNguye\u0302\u0303n\u200b  Văn\u0336\u0336\u0489 An\u202c"
    register(client, full_name=name, phone="", email="rtl@example.vn")
    user = user_by(store, pending_email="rtl@example.vn")
    assert user.full_name == "Nguyễn Văn An"


def test_a_name_of_only_invisible_characters_is_refused(client):
    page = page_text(register(client, full_name="\u202e\u200b\u0301", expect=200))
    assert "Nhập họ và tên" in page


# --- Phone codes --------------------------------------------------------------------------

def test_a_wrong_code_counts_and_the_fifth_wrong_code_kills_it(client, store):
    register(client)
    good = sms_code(store)
    bad = "000000" if good != "000000" else "111111"
    for _ in range(5):
        page = page_text(client_request(client, "/account/verify-phone", {"code": bad},
                                        expect=200))
        assert "Mã không đúng" in page
    page = page_text(client_request(client, "/account/verify-phone", {"code": good},
                                    expect=200))
    assert "Nhập sai quá nhiều lần" in page
    assert user_by(store, phone="+84912345678").phone_verified_at is None


def test_an_expired_code_is_refused(service):
    user = auth.register_citizen(service, full_name="Lê Hoa", password=PASSWORD,
                                     phone="0912345678")
    code = sms_code(service)
    later = utcnow() + timedelta(minutes=11)
    with pytest.raises(AccountError, match="hết hạn"):
        auth.confirm_phone(service, user, code, now=later)


def test_a_new_code_replaces_the_old_one_and_is_rate_limited(service):
    now = utcnow()
    user = auth.register_citizen(service, full_name="Lê Hoa", password=PASSWORD,
                                     phone="0912345678", now=now)
    first = sms_code(service)
    with pytest.raises(AccountError):
        auth.send_phone_code(service, user, now=now + timedelta(seconds=30))
    auth.send_phone_code(service, user, now=now + timedelta(seconds=61))
    second = sms_code(service)
    if first != second:
        with pytest.raises(AccountError):
            auth.confirm_phone(service, user, first, now=now + timedelta(seconds=62))
    auth.confirm_phone(service, user, second, now=now + timedelta(seconds=63))
    assert user.phone_verified_at is not None
    for i in range(3, 6):
        auth.send_phone_code(service, user, now=now + timedelta(minutes=i))
    with pytest.raises(AccountError, match="một giờ"):
        auth.send_phone_code(service, user, now=now + timedelta(minutes=7))


def test_resend_button_sends_a_new_code_after_a_minute(client, store):
    register(client)
    user = user_by(store, phone="+84912345678")
    response = client_request(client, "/account/verify-phone/resend",
                              page="/account/verify-phone")
    assert "một phút" in page_text(client.get(response.headers["Location"]))
    for token in store.scalars(select(UserToken).where(UserToken.user_id == user.id)):
        token.created_at = utcnow() - timedelta(minutes=2)
    store.flush()
    client_request(client, "/account/verify-phone/resend", page="/account/verify-phone")
    assert store.query(UserToken).filter_by(user_id=user.id).count() == 2


# --- Login --------------------------------------------------------------------------------

def test_login_error_is_the_same_for_unknown_account_and_wrong_password(client):
    unknown = page_text(login(client, "nobody@example.vn", expect=200))
    wrong = page_text(login(client, "resident@demo.test", "wrong-password", expect=200))
    message = "Số điện thoại, email hoặc mật khẩu không đúng"
    assert message in unknown and message in wrong


def test_ten_wrong_passwords_lock_the_account_for_fifteen_minutes(client, store):
    for _ in range(10):
        login(client, "resident@demo.test", "wrong-password", expect=200)
    user = user_by(store, email="resident@demo.test")
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
    page = page_text(login(client, "resident@demo.test", "demo-portal-2026", expect=200))
    assert "không đúng" in page
    with pytest.raises(LoginError):
        auth.authenticate(store, "resident@demo.test", "demo-portal-2026")
    auth.authenticate(store, "resident@demo.test", "demo-portal-2026",
                          now=utcnow() + timedelta(minutes=16))
    assert user.failed_logins == 0 and user.locked_until is None


def test_login_goes_back_to_a_same_site_page_only(client):
    response = login(client, "resident@demo.test", "demo-portal-2026", next="/procedures")
    assert response.headers["Location"] == "/procedures"
    client_request(client, "/account/logout", page="/account/")
    response = login(client, "resident@demo.test", "demo-portal-2026",
                     next="https://evil.example/")
    assert response.headers["Location"] == "/account/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", "/\tx", "", None,
                                    "http:/evil", "evil.example"])
def test_next_never_leaves_the_site(target):
    assert safe_next(target) is None


def test_a_protected_page_sends_to_login_and_back(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/account/login?next=" in response.headers["Location"]
    page = page_text(client.get(response.headers["Location"]))
    assert 'name="next" value="/account/password"' in page


def test_posts_without_csrf_token_are_refused(client):
    response = client.post("/account/login", data={"login": "resident@demo.test",
                                                   "password": "demo-portal-2026"})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in page_text(response)


# --- Sessions -----------------------------------------------------------------------------

def test_logout_needs_a_post_and_ends_the_session(client):
    login(client, "resident@demo.test", "demo-portal-2026")
    assert client.get("/account/logout").status_code == 405
    client_request(client, "/account/logout", page="/account/")
    assert client.get("/account/").status_code == 302


def test_logging_out_everywhere_ends_the_other_devices_sessions(app, store):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "resident@demo.test", "demo-portal-2026")
    login(laptop, "resident@demo.test", "demo-portal-2026")
    assert laptop.get("/account/").status_code == 200
    client_request(phone, "/account/logout-everywhere", page="/account/")
    assert laptop.get("/account/").status_code == 302
    assert phone.get("/account/").status_code == 302


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, store):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "resident@demo.test", "demo-portal-2026")
    login(laptop, "resident@demo.test", "demo-portal-2026")
    client_request(phone, "/account/password", {"current": "demo-portal-2026",
                                                "password": PASSWORD, "confirm": PASSWORD})
    assert phone.get("/account/").status_code == 200
    assert laptop.get("/account/").status_code == 302
    login(laptop, "resident@demo.test", PASSWORD)


def test_changing_the_password_needs_the_current_one(client, store):
    login(client, "resident@demo.test", "demo-portal-2026")
    page = page_text(client_request(client, "/account/password", {
        "current": "wrong-one-123", "password": PASSWORD, "confirm": PASSWORD}, expect=200))
    assert "Mật khẩu hiện tại không đúng" in page


# --- Password reset -----------------------------------------------------------------------

def _reset_path(text: str) -> str:
    return re.search(r"(/account/reset/[A-Za-z0-9_.\-]+)", text).group(1)


def test_forgot_password_says_the_same_for_known_and_unknown_accounts(client, store):
    known = client_request(client, "/account/forgot", {"login": "resident@demo.test"})
    known_page = page_text(client.get(known.headers["Location"]))
    unknown = client_request(client, "/account/forgot", {"login": "ghost@example.vn"})
    unknown_page = page_text(client.get(unknown.headers["Location"]))
    message = "Nếu có tài khoản với số điện thoại hoặc email này"
    assert message in known_page and message in unknown_page
    notes = store.scalars(select(Notification).where(
        Notification.recipient.in_(["resident@demo.test", "ghost@example.vn"]))).all()
    assert [n.recipient for n in notes] == ["resident@demo.test"]
    assert notes[0].channel == "email" and "/account/reset/" in notes[0].text


def test_a_reset_link_sets_a_new_password_once_and_ends_sessions(app, store):
    other = app.test_client()
    login(other, "resident@demo.test", "demo-portal-2026")
    client = app.test_client()
    client_request(client, "/account/forgot", {"login": "resident@demo.test"})
    note = store.scalars(select(Notification).where(
        Notification.recipient == "resident@demo.test")).one()
    path = _reset_path(note.text)
    token = store.scalar(select(UserToken).where(UserToken.purpose == "reset_password"))
    assert path.rsplit("/", 1)[1] not in token.token_hash
    response = client_request(client, path, {"password": PASSWORD, "confirm": PASSWORD})
    assert response.headers["Location"].endswith("/account/login")
    assert other.get("/account/").status_code == 302
    login(client, "resident@demo.test", PASSWORD)
    again = client.get(path)
    assert again.status_code == 400 and "đã được dùng" in page_text(again)


def test_a_reset_link_goes_by_sms_to_a_confirmed_phone_only(client, store):
    register(client)
    client_request(client, "/account/logout", page="/account/")
    sent = len(store.scalars(select(Notification).where(
        Notification.recipient == "+84912345678")).all())
    client_request(client, "/account/forgot", {"login": "0912 345 678"})
    assert len(store.scalars(select(Notification).where(
        Notification.recipient == "+84912345678")).all()) == sent  # not confirmed: nothing
    store.execute(User.__table__.update().where(User.phone == "+84912345678")
                  .values(phone_verified_at=utcnow()))
    store.commit()
    client_request(client, "/account/forgot", {"login": "0912 345 678"})
    text = last_sms(store, "+84912345678")
    from district_portal.services.notifications import sms_text
    assert len(sms_text(text)) <= 160 and "/account/reset/" in sms_text(text)
    client_request(client, _reset_path(text), {"password": PASSWORD + "x",
                                               "confirm": PASSWORD + "x"})
    login(client, "0912345678", PASSWORD + "x")


def test_expired_and_forged_reset_links_are_refused(app, store):
    now = utcnow()
    link = reset.request_password_reset(store, "resident@demo.test",
                                           secret_key=app.config["SECRET_KEY"],
                                           base_url="http://x", now=now)
    token = link.url.rsplit("/", 1)[1]
    with app.test_request_context(), pytest.raises(AccountError, match="hết hạn"):
        reset.reset_token_user(store, token, secret_key=app.config["SECRET_KEY"],
                                  now=now + timedelta(minutes=61))
    with app.test_request_context(), pytest.raises(AccountError, match="không hợp lệ"):
        reset.reset_token_user(store, token, secret_key="another-secret")
    # Change the first character of the signature: the last ones may only hold padding bits.
    payload, _, signature = token.rpartition(".")
    forged = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    response = app.test_client().get("/account/reset/" + forged)
    assert response.status_code == 400 and "không hợp lệ" in page_text(response)


def test_a_reset_refuses_a_common_password(client, store):
    client_request(client, "/account/forgot", {"login": "resident@demo.test"})
    note = store.scalars(select(Notification).where(
        Notification.recipient == "resident@demo.test")).one()
    page = page_text(client_request(client, _reset_path(note.text),
                                    {"password": "password", "confirm": "password"},
                                    expect=200))
    assert "quá phổ biến" in page


# --- Pages --------------------------------------------------------------------------------

def test_nav_shows_login_links_or_the_account_and_a_logout_form(client):
    page = page_text(client.get("/"))
    assert "Đăng nhập" in page and "Đăng ký" in page and "/my/dossiers" not in page
    login(client, "resident@demo.test", "demo-portal-2026")
    page = page_text(client.get("/"))
    assert 'href="/my/dossiers"' in page and "Hồ sơ của tôi" in page
    assert 'action="/account/logout"' in page and "Đăng xuất" in page


@pytest.mark.parametrize("path, logged_in", [
    ("/account/register", False), ("/account/login", False), ("/account/forgot", False),
    ("/account/", True), ("/account/password", True), ("/account/verify-phone", True),
])
def test_account_pages_are_small_and_need_no_script(client, store, path, logged_in):
    if logged_in:
        register(client)
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data()
    assert not scripts(html)
    assert len(gzip.compress(html)) <= 14 * 1024


def test_production_cookies_are_secure_and_http_only(monkeypatch):
    from district_portal.config import ProductionConfig
    monkeypatch.setenv("PORTAL_SECRET_KEY", secrets.token_hex(32))  # "x" * 40 is refused
    config = ProductionConfig()
    assert config.SESSION_COOKIE_SECURE and config.SESSION_COOKIE_HTTPONLY
    assert config.SESSION_COOKIE_SAMESITE == "Lax"


@pytest.mark.parametrize("login_name, password, message", [
    ("", PASSWORD, "Nhập số điện thoại hoặc email"),
    ("resident@demo.test", "", "Nhập mật khẩu của bạn"),
    ("a" * 300 + "@example.vn", PASSWORD, "Nhập tối đa 254 ký tự"),
    ("<script>alert(1)</script>", PASSWORD, "không đúng"),
    ("\u202eresident@demo.test", "demo-portal-2026\u0301", "không đúng"),
    ("024 3825 1234", PASSWORD, "không đúng"),
])
def test_login_refuses_hostile_input_without_echoing_markup(client, login_name, password,
                                                            message):
    page = page_text(login(client, login_name, password, expect=200))
    assert message in page
    assert "<script>alert" not in page
    assert password not in page or not password


def test_forgot_password_refuses_empty_and_overlong_input(client):
    page = page_text(client_request(client, "/account/forgot", {"login": ""}, expect=200))
    assert "Nhập số điện thoại hoặc email" in page
    page = page_text(client_request(client, "/account/forgot", {"login": "9" * 300},
                                    expect=200))
    assert "Nhập tối đa 254 ký tự" in page


def test_a_code_with_spaces_is_accepted_and_letters_are_refused(client, store):
    register(client)
    code = sms_code(store)
    page = page_text(client_request(client, "/account/verify-phone", {"code": "12a456"},
                                    expect=200))
    assert "Mã gồm 6 chữ số" in page
    client_request(client, "/account/verify-phone", {"code": f"{code[:3]} {code[3:]}"})
    assert user_by(store, phone="+84912345678").phone_verified_at is not None
