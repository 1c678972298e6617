"""Two-factor login (issue 11, item 4): staff and admins need a TOTP code (RFC 6238) after
the password and enrol at their first login with a QR code; recovery codes are hashed and
work once; residents may turn it on and off."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from district_portal.models import User, UserToken
from district_portal.services.accounts import two_factor
from district_portal.services.accounts.users import create_user
from tests.helpers import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    ClientRequest,
    Page,
    csrf_token,
    form_login,
    totp_code,
)

NEW_STAFF = "can.bo.moi@demo.test"
PASSWORD = "ruong-lua-xanh-2026"


def _post(client, url, data, page=None):
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data})


def _password_step(client, email, password=DEMO_PASSWORD):
    response = _post(client, "/account/login", {"login": email, "password": password})
    assert response.status_code == 302
    return response.headers["Location"]


def _refreshed(session, account: User) -> User:
    session.expire_all()
    return session.get(User, account.id)


@pytest.fixture
def new_staff(session):
    account = create_user(session, email=NEW_STAFF, password=PASSWORD, roles=["clerk"],
                          office_code="000.00.04.T25", full_name="Cán Bộ Mới")
    session.commit()
    return account


def test_the_password_alone_does_not_log_staff_in(app):
    client = app.test_client()
    assert _password_step(client, "clerk@demo.test").endswith("/account/two-factor/")
    page = ClientRequest(client).get("/account/two-factor/")  # translated, well formed
    assert page.find(".//input[@name='code']") is not None
    response = client.get("/staff/inbox")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.get("/account/").status_code == 302


def test_staff_log_in_with_the_apps_code_and_the_same_code_works_only_once(app):
    client = app.test_client()
    _password_step(client, "leader@demo.test")
    code = totp_code(DEMO_TOTP_SECRET)
    response = _post(client, "/account/two-factor/", {"code": code})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/")
    assert client.get("/staff/inbox").status_code == 200
    other = app.test_client()
    _password_step(other, "leader@demo.test")
    replay = _post(other, "/account/two-factor/", {"code": code})
    assert replay.status_code == 200 and "Mã không đúng" in replay.get_data(as_text=True)
    assert other.get("/staff/inbox").status_code == 302


def test_new_staff_must_enrol_at_first_login_with_a_qr_code(app, session, new_staff):
    client = app.test_client()
    assert _password_step(client, NEW_STAFF, PASSWORD).endswith("/account/two-factor/")
    response = client.get("/account/two-factor/")
    assert response.headers["Location"].endswith("/account/two-factor/setup")
    rc = ClientRequest(client)
    page = rc.get("/account/two-factor/setup")
    assert page.find(".//img[@alt]").get("src").startswith("data:image/svg+xml")
    secret = page.text(page.by_id("secret")).replace(" ", "")
    assert len(secret) == 32 and client.get("/staff/inbox").status_code == 302
    wrong = _post(client, "/account/two-factor/setup", {"code": "000000"})
    assert wrong.status_code == 200 and _refreshed(session, new_staff).totp_secret is None
    done = _post(client, "/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    html = done.get_data(as_text=True)
    codes = re.findall(r"<code>([0-9A-Z]{5}-[0-9A-Z]{5})</code>", html)
    assert done.status_code == 200 and len(set(codes)) == 10
    Page(done).check()
    assert client.get("/staff/inbox").status_code == 200  # enrolled and logged in
    account = _refreshed(session, new_staff)
    assert account.totp_secret == secret and account.totp_enabled_at is not None
    hashes = [t.token_hash for t in session.scalars(select(UserToken).where(
        UserToken.user_id == account.id, UserToken.purpose == "recovery_code"))]
    assert len(hashes) == 10 and not any(c.replace("-", "") in h for c in codes
                                         for h in hashes)


def test_a_recovery_code_logs_in_once(app, session, new_staff):
    with app.test_request_context():
        codes = two_factor.enable(session, new_staff, DEMO_TOTP_SECRET,
                                  totp_code(DEMO_TOTP_SECRET))
    session.commit()
    client = app.test_client()
    _password_step(client, NEW_STAFF, PASSWORD)
    response = _post(client, "/account/two-factor/", {"code": codes[3].lower()})
    assert response.status_code == 302 and client.get("/staff/inbox").status_code == 200
    again = app.test_client()
    _password_step(again, NEW_STAFF, PASSWORD)
    assert _post(again, "/account/two-factor/", {"code": codes[3]}).status_code == 200
    assert again.get("/staff/inbox").status_code == 302
    assert two_factor.recovery_codes_left(session, new_staff) == 9


def test_wrong_codes_count_toward_the_lockout_even_after_the_right_password_again(app, session):
    client = app.test_client()
    for _ in range(10):
        _password_step(client, "officer@demo.test")
        assert _post(client, "/account/two-factor/", {"code": "123456"}).status_code == 200
    officer = _refreshed(session, session.scalar(select(User).where(
        User.email == "officer@demo.test")))
    assert officer.locked_until is not None
    response = _post(client, "/account/login", {"login": "officer@demo.test",
                                                "password": DEMO_PASSWORD})
    assert response.status_code == 200  # locked: the password is refused too


def test_the_half_logged_in_state_lasts_ten_minutes(app, monkeypatch):
    client = app.test_client()
    _password_step(client, "admin@demo.test")
    import district_portal.auth as web_auth

    later = time.time() + 11 * 60
    monkeypatch.setattr(web_auth.time, "time", lambda: later)
    response = _post(client, "/account/two-factor/", {"code": totp_code(DEMO_TOTP_SECRET)},
                     page="/account/login")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_resident_turns_two_step_login_on_and_off(app, session, resident):
    client = app.test_client()
    form_login(client, "resident@demo.test")
    rc = ClientRequest(client)
    assert "Bật đăng nhập hai bước" in rc.get("/account/").text()
    page = rc.get("/account/two-factor/setup")
    secret = page.text(page.by_id("secret")).replace(" ", "")
    done = _post(client, "/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    _post(client, "/account/logout", {}, page="/account/")
    assert _password_step(client, "resident@demo.test").endswith("/account/two-factor/")
    step = int(time.time()) // 30 + 1
    _post(client, "/account/two-factor/", {"code": pyotp.TOTP(secret).at(step * 30)})
    assert client.get("/account/").status_code == 200
    # The code just used to log in does not turn it off: each code works once.
    _post(client, "/account/two-factor/disable", {"code": pyotp.TOTP(secret).at(step * 30)},
          page="/account/")
    assert _refreshed(session, resident).totp_enabled_at is not None
    account = _refreshed(session, resident)
    account.totp_last_step = 0  # as if the next 30-second step had come
    session.commit()
    _post(client, "/account/two-factor/disable", {"code": pyotp.TOTP(secret).now()},
          page="/account/")
    account = _refreshed(session, resident)
    assert account.totp_enabled_at is None and account.totp_secret is None


def test_staff_cannot_turn_two_step_login_off(app, session):
    client = app.test_client()
    form_login(client, "clerk@demo.test")
    assert "Tắt" not in ClientRequest(client).get("/account/").text()
    clerk = session.scalar(select(User).where(User.email == "clerk@demo.test"))
    clerk.totp_last_step = 0
    session.commit()
    _post(client, "/account/two-factor/disable", {"code": totp_code(DEMO_TOTP_SECRET)},
          page="/account/")
    assert _refreshed(session, clerk).totp_enabled_at is not None


def test_codes_follow_rfc_6238(session, new_staff):
    """RFC 6238 appendix B: the SHA-1 secret "12345678901234567890" gives 94287082 at
    T = 59 s; the 6-digit code is its last six digits."""
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=59)
    assert two_factor._matching_step(secret, "287082", at) == 1
    assert two_factor._matching_step(secret, "287083", at) is None


def test_an_admin_removes_a_lost_two_step_login_from_the_command_line(fresh_app):
    app = fresh_app()
    client = app.test_client()
    form_login(client, "clerk@demo.test")
    assert client.get("/staff/inbox").status_code == 200
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "reset-two-factor", "--email", "clerk@demo.test"])
    assert result.exit_code == 0, result.output
    assert client.get("/staff/inbox").status_code == 302  # its sessions ended
    again = app.test_client()
    _password_step(again, "clerk@demo.test")
    response = again.get("/account/two-factor/")
    assert response.headers["Location"].endswith("/account/two-factor/setup")
    missing = runner.invoke(args=["portal", "reset-two-factor", "--email", "ghost@demo.test"])
    assert missing.exit_code == 1 and "no account" in missing.output
