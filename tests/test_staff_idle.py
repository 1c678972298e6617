"""The staff idle timeout runs on pages only: never for static files, assets or the health
check, and it loads no user for them."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event

from district_portal.db import get_db
from tests.factories import user
from tests.helpers import login


@pytest.fixture
def statements(app):
    """SQL statements sent while the block runs."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def _asset_url(app) -> str:
    with app.test_request_context():
        from district_portal.assets import asset_url

        return asset_url("app.css")


@pytest.mark.parametrize("url", ["asset", "/static/app.css", "/healthz"])
def test_an_idle_staff_session_is_not_touched_by_files_and_loads_no_user(app, client, session,
                                                                        statements, url):
    login(client, user(session, "clerk@demo.test"))
    stale = int(time.time()) - 31 * 60
    with client.session_transaction() as s:
        s["staff_seen"] = stale
    statements.clear()
    response = client.get(_asset_url(app) if url == "asset" else url)
    assert response.status_code == 200
    assert not [s for s in statements if "user_account" in s]
    with client.session_transaction() as s:
        assert s["staff_seen"] == stale and "_user_id" in s  # still logged in, not refreshed


def test_an_idle_staff_session_ends_on_a_documents_page_too(client, session):
    login(client, user(session, "leader@demo.test"))
    with client.session_transaction() as s:
        s["staff_seen"] = int(time.time()) - 31 * 60
    response = client.get("/staff/ledger")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_an_anonymous_page_view_loads_no_user(client, statements):
    statements.clear()
    assert client.get("/").status_code == 200
    assert not [s for s in statements if "user_account" in s]
