"""Read-only requests never queue for SQLite's write lock, and every connection has a connect
and a statement timeout, so a locked or stalled database costs seconds, not minutes."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from district_portal.codes import new_ref
from district_portal.db import get_db
from tests.conftest import PG_URL
from tests.factories import user
from tests.helpers import ClientRequest, login

sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock")


def _hold_write_lock(app) -> sqlite3.Connection:
    """Another process's writer: it holds SQLite's write lock until closed."""
    holder = sqlite3.connect(make_url(get_db(app).engine.url).database,
                             isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    return holder


@sqlite_only
def test_a_tracking_look_up_answers_while_another_request_holds_the_write_lock(fresh_app):
    app = fresh_app(DB_STATEMENT_TIMEOUT=2)
    rc = ClientRequest(app.test_client())
    assert rc.get("/track").status == 200
    holder = _hold_write_lock(app)
    try:
        start = time.monotonic()
        page = rc.client.post("/track", data={"lookup": new_ref(),  # no token: no cookie
                                              "phone": "0912345678"})
        elapsed = time.monotonic() - start
    finally:
        holder.rollback()
        holder.close()
    assert page.status_code == 404  # looked up: no such dossier
    assert "Cổng dịch vụ công tạm thời" not in page.get_data(as_text=True)
    assert elapsed < 1.5  # it did not wait for the lock


@sqlite_only
def test_a_writing_request_waits_for_the_lock_at_most_the_statement_timeout(fresh_app):
    app = fresh_app(DB_STATEMENT_TIMEOUT=1)
    with app.app_context(), get_db(app).transaction(write=False) as session:
        resident = user(session, "resident@demo.test")
    client = app.test_client()
    login(client, resident)
    rc = ClientRequest(client)
    token = rc.get("/procedures/1.001193").csrf_token()
    holder = _hold_write_lock(app)
    try:
        start = time.monotonic()
        response = client.post("/procedures/1.001193/apply", data={"csrf_token": token})
        elapsed = time.monotonic() - start
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503
    assert "Cổng dịch vụ công tạm thời không hoạt động" in response.get_data(as_text=True)
    assert 0.8 < elapsed < 5
    # The lock is gone: the same click works.
    token = rc.get("/procedures/1.001193").csrf_token()
    assert client.post("/procedures/1.001193/apply",
                       data={"csrf_token": token}).status_code == 303


def test_every_connection_gets_the_configured_timeouts(fresh_app):
    app = fresh_app(DB_CONNECT_TIMEOUT=3, DB_STATEMENT_TIMEOUT=7)
    with app.app_context(), get_db(app).transaction(write=False) as session:
        if PG_URL:
            assert session.execute(text("SHOW statement_timeout")).scalar() == "7s"
            dsn = session.connection().connection.dbapi_connection.info.get_parameters()
            assert dsn["connect_timeout"] == "3"
        else:
            assert session.execute(text("PRAGMA busy_timeout")).scalar() == 7000


@pytest.mark.postgresql_only
def test_a_statement_past_its_timeout_gives_the_503_page(fresh_app):
    app = fresh_app(DB_STATEMENT_TIMEOUT=1)
    blocker = get_db(app).engine.connect()
    trans = blocker.begin()
    # Another transaction holds the dossier table, so the inbox query waits for it.
    blocker.execute(text("LOCK TABLE dossier IN ACCESS EXCLUSIVE MODE"))
    try:
        with app.app_context(), get_db(app).transaction(write=False) as session:
            clerk = user(session, "clerk@demo.test")
        client = app.test_client()
        login(client, clerk)
        start = time.monotonic()
        response = client.get("/staff/inbox")
        elapsed = time.monotonic() - start
    finally:
        trans.rollback()
        blocker.close()
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert elapsed < 5
