"""API keys: issued from the CLI and the admin page, stored as hashes, scoped, revocable,
with their last use recorded; wrong keys get 401/403 in one body shape."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import ApiKey
from district_portal.models.types import utcnow
from district_portal.services.api import keys
from district_portal.services.api.keys import SCOPE_CHANGES, ApiKeyError, create_key
from tests.api_helpers import bearer, validate_against
from tests.helpers import login, user_by_email

FEED = "/api/v1/dossiers/changes"


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["portal", *args])


def stored_key(app, prefix: str) -> dict:
    with get_db(app).transaction(write=False) as session:
        row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        return {"secret_hash": row.secret_hash, "scopes": row.scopes,
                "office": row.office.agency_code, "all": repr(
                    {c.key: getattr(row, c.key) for c in ApiKey.__table__.columns})}


def test_the_cli_issues_a_key_once_stores_only_its_hash_lists_and_revokes_it(fresh_app):
    app = fresh_app()
    result = run_cli(app, "api-key", "create", "--name", "Cổng DVC quốc gia",
                     "--scope", SCOPE_CHANGES, "--office", "000.00.04.T25")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    prefix = re.fullmatch(r"dp_([0-9a-f]{12})_[\w-]{43}", secret).group(1)
    row = stored_key(app, prefix)
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.split("_")[-1] not in row["all"]
    assert row["scopes"] == [SCOPE_CHANGES] and row["office"] == "000.00.04.T25"
    client = app.test_client()
    assert client.get(FEED, headers=bearer(secret)).status_code == 200
    listing = run_cli(app, "api-key", "list").output
    assert prefix in listing and "Cổng DVC quốc gia" in listing and secret not in listing
    assert "active" in listing
    assert run_cli(app, "api-key", "revoke", prefix).exit_code == 0
    assert "revoked" in run_cli(app, "api-key", "list").output
    assert client.get(FEED, headers=bearer(secret)).status_code == 401


def test_the_cli_refuses_an_unknown_scope_office_or_key_with_a_message(fresh_app):
    app = fresh_app()
    bad_scope = run_cli(app, "api-key", "create", "--name", "X", "--scope", "everything")
    assert bad_scope.exit_code == 1 and "dossiers:changes" in bad_scope.output
    bad_office = run_cli(app, "api-key", "create", "--name", "X", "--scope", SCOPE_CHANGES,
                         "--office", "NO.SUCH")
    assert bad_office.exit_code == 1 and "NO.SUCH" in bad_office.output
    assert run_cli(app, "api-key", "revoke", "000000000000").exit_code == 1
    assert "no API keys" in run_cli(app, "api-key", "list").output


def _same_shape(response, status):
    assert response.status_code == status
    body = response.get_json()
    validate_against("Error", body)
    return body


def test_missing_malformed_wrong_and_revoked_keys_all_get_the_same_401(client, db_session):
    key, secret = create_key(db_session, name="A", scopes=[SCOPE_CHANGES])
    revoked, revoked_secret = create_key(db_session, name="B", scopes=[SCOPE_CHANGES])
    keys.revoke_key(db_session, revoked.prefix)
    db_session.commit()
    wrong_secret = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    unknown = "dp_000000000000_" + secret.split("_", 2)[2]
    attempts = [{}, {"Authorization": secret}, {"Authorization": "Basic " + secret},
                bearer("nonsense"), bearer(wrong_secret), bearer(unknown),
                bearer(revoked_secret)]
    bodies = []
    for headers in attempts:
        response = client.get(FEED, headers=headers)
        bodies.append(_same_shape(response, 401))
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert all(b == bodies[0] for b in bodies)
    assert client.get(FEED, headers=bearer(secret)).status_code == 200


def test_a_valid_key_without_the_scope_gets_403_in_the_same_shape(client, db_session,
                                                                 monkeypatch):
    monkeypatch.setitem(keys.SCOPES, "stats:read", "statistics")
    _key, secret = create_key(db_session, name="Thống kê", scopes=["stats:read"])
    db_session.commit()
    body = _same_shape(client.get(FEED, headers=bearer(secret)), 403)
    assert body["error"]["code"] == "forbidden"
    unauthorized = _same_shape(client.get(FEED), 401)
    assert set(body["error"]) == set(unauthorized["error"])


def test_the_last_use_is_recorded_at_most_once_a_minute(client, db_session):
    key, secret = create_key(db_session, name="A", scopes=[SCOPE_CHANGES])
    db_session.commit()
    assert key.last_used_at is None
    before = utcnow()
    assert client.get(FEED, headers=bearer(secret)).status_code == 200
    db_session.refresh(key)
    first = key.last_used_at
    assert first is not None and first >= before - timedelta(seconds=1)
    assert client.get(FEED, headers=bearer(secret)).status_code == 200
    db_session.refresh(key)
    assert key.last_used_at == first  # within the minute: no write
    key.last_used_at = first - timedelta(minutes=2)
    db_session.commit()
    assert client.get(FEED, headers=bearer(secret)).status_code == 200
    db_session.refresh(key)
    assert key.last_used_at >= first


def test_a_failed_attempt_records_no_use(client, db_session):
    key, secret = create_key(db_session, name="A", scopes=[SCOPE_CHANGES])
    keys.revoke_key(db_session, key.prefix)
    db_session.commit()
    assert client.get(FEED, headers=bearer(secret)).status_code == 401
    db_session.refresh(key)
    assert key.last_used_at is None


@pytest.mark.parametrize("name, scopes", [("", [SCOPE_CHANGES]), ("x" * 201, [SCOPE_CHANGES]),
                                          ("A", []), ("A", ["admin"])])
def test_a_key_needs_a_name_and_known_scopes(db_session, name, scopes):
    with pytest.raises(ApiKeyError):
        create_key(db_session, name=name, scopes=scopes)


# --- the admin page --------------------------------------------------------------------------


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_only_admins_open_the_api_keys_page(client, session):
    assert client.get("/staff/api-keys/").status_code == 302  # anonymous: log in first
    # A commune admin neither (issue 13: a key may read every office's changes).
    for email in ("clerk@demo.test", "resident@demo.test", "admin@demo.test"):
        login(client, user_by_email(session, email))
        assert client.get("/staff/api-keys/").status_code == 404, email
        assert client.post("/staff/api-keys/", data={"name": "x"}).status_code in (400, 404)
    login(client, user_by_email(session, "admin.tinh@demo.test"))
    assert client.get("/staff/api-keys/").status_code == 200


def test_an_admin_issues_a_key_sees_the_secret_once_and_revokes_it(client, session):
    login(client, user_by_email(session, "admin.tinh@demo.test"))
    page = client.get("/staff/api-keys/").get_data(as_text=True)
    created = client.post("/staff/api-keys/", data={
        "csrf_token": _token(page), "name": "Hệ thống tỉnh", "scopes": SCOPE_CHANGES,
        "office": "000.00.04.T25"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    secret = re.search(r'id="api-key-secret">(dp_[^<]+)<', html).group(1)
    prefix = secret.split("_")[1]
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.created_by_id == user_by_email(session, "admin.tinh@demo.test").id
    assert client.get(FEED, headers=bearer(secret)).status_code == 200
    listing = client.get("/staff/api-keys/").get_data(as_text=True)
    assert prefix in listing and "Hệ thống tỉnh" in listing and secret not in listing
    assert "Chưa dùng" not in listing  # its last use is shown
    revoked = client.post(f"/staff/api-keys/{prefix}/revoke",
                          data={"csrf_token": _token(listing)})
    assert revoked.status_code == 303
    assert client.get(FEED, headers=bearer(secret)).status_code == 401
    assert "Đã thu hồi" in client.get("/staff/api-keys/").get_data(as_text=True)


def test_the_admin_form_keeps_what_was_typed_and_says_what_is_missing(client, session):
    login(client, user_by_email(session, "admin.tinh@demo.test"))
    page = client.get("/staff/api-keys/").get_data(as_text=True)
    response = client.post("/staff/api-keys/", data={"csrf_token": _token(page),
                                                     "name": "Hệ thống tỉnh"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Chọn ít nhất một phạm vi." in html and 'value="Hệ thống tỉnh"' in html
    assert session.scalar(select(ApiKey)) is None


def test_admin_posts_without_a_csrf_token_are_refused(client, session, db_session):
    key, _secret = create_key(db_session, name="A", scopes=[SCOPE_CHANGES])
    db_session.commit()
    login(client, user_by_email(session, "admin.tinh@demo.test"))
    assert client.post("/staff/api-keys/", data={"name": "x", "scopes": SCOPE_CHANGES}
                       ).status_code == 400
    assert client.post(f"/staff/api-keys/{key.prefix}/revoke").status_code == 400
    db_session.refresh(key)
    assert key.revoked_at is None
