"""`make run` is enough: in development queued SMS and email go out at once through the log
backends and /dev/outbox shows them; nowhere else does that page exist."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Notification, Office, User
from district_portal.services.accounts.users import DEMO_USERS
from tests.helpers import ClientRequest

PASSWORD = "ruong-lua-xanh-2026"
REGISTRATION = {"full_name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "",
                "password": PASSWORD, "confirm": PASSWORD, "consent": "y"}


def _register(client) -> None:
    ClientRequest(client).post("/account/register", REGISTRATION, form_page="/account/register",
                               expected_redirect="/account/verify-phone")


def _sms_rows(app) -> list[Notification]:
    with get_db(app).transaction(write=False) as session:
        return list(session.scalars(select(Notification).where(Notification.channel == "sms")))


def test_in_development_the_confirmation_sms_is_delivered_at_once_and_shown(fresh_app):
    app = fresh_app(ENV_NAME="development")
    client = app.test_client()
    _register(client)
    [note] = _sms_rows(app)
    assert note.state == "sent" and note.sent_at is not None  # no cron was run
    code = re.search(r"\b(\d{6})\b", note.text).group(1)
    log = Path(app.config["SMS_LOG_FILE"]).read_text("utf-8")
    assert "+84912345678" in log and code in log
    page = ClientRequest(client).get("/dev/outbox")
    assert code in page.text() and "+84912345678" in page.text()
    assert "Đã gửi" in page.text() or "đã gửi" in page.text()
    # The code read on the page confirms the phone.
    ClientRequest(client).post("/account/verify-phone", {"code": code},
                               form_page="/account/verify-phone", expected_redirect="/account/")


def test_a_message_for_a_network_backend_waits_for_the_sender_even_in_development(fresh_app):
    app = fresh_app(ENV_NAME="development", SMS_BACKEND="http",
                    SMS_HTTP_URL="http://127.0.0.1:9/{phone}")
    _register(app.test_client())
    [note] = _sms_rows(app)
    assert note.state == "pending" and note.attempts == 0
    assert not Path(app.config["SMS_LOG_FILE"]).exists()


def test_outside_development_there_is_no_outbox_page_and_nothing_is_sent_inline(fresh_app):
    app = fresh_app()  # the test configuration, like production: a cron sends
    assert app.config["PORTAL_ENV"] == "test"
    client = app.test_client()
    assert client.get("/dev/outbox").status_code == 404
    _register(client)
    [note] = _sms_rows(app)
    assert note.state == "pending"


def test_every_demo_office_has_a_clerk_an_officer_and_a_leader(fresh_app):
    app = fresh_app()
    with get_db(app).transaction(write=False) as session:
        offices = list(session.scalars(select(Office)))
        staff = list(session.scalars(select(User).where(User.office_id.is_not(None))))
        assert offices
        for office in offices:
            roles = {r for u in staff if u.office_id == office.id for r in u.roles}
            assert {"clerk", "officer", "leader"} <= roles, office.agency_code
    assert len({email for email, *_ in DEMO_USERS}) == len(DEMO_USERS)


def test_the_outbox_is_shown_only_to_the_machine_running_the_server(fresh_app):
    app = fresh_app(ENV_NAME="development")
    client = app.test_client()
    assert client.get("/dev/outbox").status_code == 200
    far = client.get("/dev/outbox", environ_overrides={"REMOTE_ADDR": "192.168.1.20"})
    assert far.status_code == 404
