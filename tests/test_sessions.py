"""Sessions end on the server: a cookie copied before logout is dead after it, every login
has an absolute lifetime, and a staff session times out after 30 minutes idle whatever
cookie it came from (issue 11, items 1 and 2)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import event, select

import district_portal.auth as web_auth
from district_portal.db import get_db
from district_portal.models import UserSession
from district_portal.models.types import utcnow
from district_portal.services.accounts import sessions
from tests.factories import user
from tests.helpers import csrf_token, form_login

RESIDENT = "resident@demo.test"


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A new browser that presents a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def test_a_cookie_copied_before_logout_does_not_work_after_it(app):
    client = app.test_client()
    form_login(client, RESIDENT)
    assert client.get("/account/").status_code == 200
    copied = _cookie(client)
    assert _replay(app, copied).get("/account/").status_code == 200
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/")})
    assert client.get("/account/").status_code == 302
    assert _replay(app, copied).get("/account/").status_code == 302


def test_logging_out_on_one_device_keeps_the_other_devices_logged_in(app):
    phone, laptop = app.test_client(), app.test_client()
    form_login(phone, RESIDENT)
    form_login(laptop, RESIDENT)
    phone.post("/account/logout", data={"csrf_token": csrf_token(phone, "/account/")})
    assert phone.get("/account/").status_code == 302
    assert laptop.get("/account/").status_code == 200


def test_a_cookie_copied_before_logging_out_everywhere_does_not_work_after_it(app):
    client = app.test_client()
    form_login(client, RESIDENT)
    copied = _cookie(client)
    client.post("/account/logout-everywhere",
                data={"csrf_token": csrf_token(client, "/account/")})
    assert _replay(app, copied).get("/account/").status_code == 302


def test_a_session_ends_after_its_absolute_lifetime_however_active(app, session,
                                                                  monkeypatch):
    client = app.test_client()
    form_login(client, RESIDENT)
    resident = user(session, RESIDENT)
    row = session.scalars(select(UserSession).where(UserSession.user_id == resident.id)
                          .order_by(UserSession.id.desc())).first()
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    later = utcnow() + timedelta(days=30, minutes=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    assert client.get("/account/").status_code == 302


def test_a_staff_session_lasts_twelve_hours_at_most(app, session, monkeypatch):
    clerk = user(session, "clerk@demo.test")
    client = app.test_client()
    form_login(client, "clerk@demo.test")
    row = session.scalars(select(UserSession).where(UserSession.user_id == clerk.id)
                          .order_by(UserSession.id.desc())).first()
    assert timedelta(hours=11) < row.expires_at - utcnow() <= timedelta(hours=12)
    assert client.get("/staff/inbox").status_code == 200
    later = utcnow() + timedelta(hours=12, minutes=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    response = client.get("/staff/inbox")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_cookie_from_the_staff_login_response_times_out_after_thirty_idle_minutes(
        app, monkeypatch):
    client = app.test_client()
    form_login(client, "clerk@demo.test")
    from_login = _cookie(client)  # the cookie the login response set, before any page
    later = time.time() + 31 * 60
    monkeypatch.setattr(web_auth.time, "time", lambda: later)
    response = _replay(app, from_login).get("/staff/inbox")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    response = client.get("/staff/inbox")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_staff_cookie_without_a_last_seen_time_is_not_accepted(app, session):
    client = app.test_client()
    form_login(client, "clerk@demo.test")
    with client.session_transaction() as s:
        del s["staff_seen"]
    response = client.get("/staff/inbox")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_resident_is_not_timed_out_by_the_staff_idle_limit(app, monkeypatch):
    client = app.test_client()
    form_login(client, RESIDENT)
    later = time.time() + 3 * 3600
    monkeypatch.setattr(web_auth.time, "time", lambda: later)
    assert client.get("/account/").status_code == 200


def test_page_views_and_idle_timeouts_write_nothing(app, monkeypatch):
    client = app.test_client()
    form_login(client, "clerk@demo.test")
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement.split(None, 1)[0].upper())

    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/staff/inbox").status_code == 200
        later = time.time() + 31 * 60
        monkeypatch.setattr(web_auth.time, "time", lambda: later)
        assert client.get("/staff/inbox").status_code == 302
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert seen and not {"INSERT", "UPDATE", "DELETE"} & set(seen)
