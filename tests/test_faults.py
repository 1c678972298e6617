"""Faults outside the user's control: a database that is down or read-only, an upload disk
that is full or read-only. Residents get the Vietnamese "temporarily unavailable" page with
status 503 and the portal's headers, /healthz says so, nothing is half-saved, no file is
left behind, and the portal works again as soon as the fault ends."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from district_portal.db import get_db
from district_portal.models import Attachment
from tests.conftest import PG_URL, build_app, make_config
from tests.factories import user
from tests.helpers import ClientRequest, login, pdf_bytes, start_draft

UNAVAILABLE = "Cổng dịch vụ công tạm thời không hoạt động"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_unavailable_page(response) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert UNAVAILABLE in body
    assert "Internal Server Error" not in body
    assert response.headers["Retry-After"]
    # Our headers: the page went through the same after_request hooks as any other.
    assert "default-src" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_postgresql_server_that_is_down_gives_the_503_page_and_health_check(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/portal"
    app = build_app(make_config(url, str(tmp_path / "uploads"), DB_CONNECT_TIMEOUT=2))
    client = app.test_client()
    _assert_unavailable_page(client.get("/procedures"))
    _assert_unavailable_page(client.get("/procedures/1.001193"))
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "unreachable"


# --- a real small disk: a tmpfs mounted for the test (CI runs as root) ----------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs; skipped (with the reason) where this process may not mount."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> None:
    """Fill the disk under `folder` to the last byte."""
    try:
        with open(folder / "ballast", "wb") as fh:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
    except OSError:
        pass


def _remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def _remount_read_write(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)


def _resident_with_draft(app):
    with app.app_context(), get_db(app).transaction(write=False) as session:
        resident = user(session, "resident@demo.test")
    client = app.test_client()
    login(client, resident)
    rc = ClientRequest(client)
    _, public_id = start_draft(rc)
    return rc, public_id


def _upload(rc, public_id, content):
    base = f"/my/dossiers/{public_id}"
    token = rc.get(f"{base}/documents").csrf_token()
    return rc.client.post(f"{base}/documents/giay_chung_sinh", data={
        "csrf_token": token, "giay_chung_sinh": (__import__("io").BytesIO(content), "a.pdf")},
        content_type="multipart/form-data")


def _attachments(app) -> int:
    with app.app_context(), get_db(app).transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Attachment))


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.name != "ballast"]


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_an_upload_to_a_full_or_read_only_disk_gives_503_and_leaves_nothing(
        fresh_app, small_disk, fault):
    app = fresh_app(UPLOAD_DIR=str(small_disk / "uploads"))
    (small_disk / "uploads").mkdir()
    rc, public_id = _resident_with_draft(app)
    before = _attachments(app)
    if fault == "full":
        _fill(small_disk)
    else:
        _remount_read_only(small_disk)
    try:
        response = _upload(rc, public_id, pdf_bytes(b"x" * 50_000))
        _assert_unavailable_page(response)
        health = rc.client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["uploads"] == "unwritable"
        assert _attachments(app) == before  # no row for a file that is not there
        assert _files(small_disk) == []  # no temporary or orphaned file
    finally:
        if fault == "full":
            (small_disk / "ballast").unlink()
        else:
            _remount_read_write(small_disk)
    # The fault ends: the portal works again by itself.
    assert rc.client.get("/healthz").status_code == 200
    assert _upload(rc, public_id, pdf_bytes(b"y")).status_code == 303
    assert _attachments(app) == before + 1


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite database file itself on a small disk")
def test_a_read_only_sqlite_database_gives_503_not_a_raw_error(databases, small_disk,
                                                               tmp_path):
    source = Path(databases.migrated_url(seeded=True).removeprefix("sqlite:///"))
    target = small_disk / "portal.sqlite3"
    shutil.copy(source, target)
    app = build_app(make_config(f"sqlite:///{target}", str(tmp_path / "uploads")))
    get_db(app).engine.dispose()
    rc, public_id = _resident_with_draft(app)
    get_db(app).engine.dispose()
    base = f"/my/dossiers/{public_id}"
    token = rc.get(f"{base}/edit").csrf_token()
    get_db(app).engine.dispose()
    _remount_read_only(small_disk)
    try:
        _assert_unavailable_page(rc.client.get(f"{base}/edit"))
        _assert_unavailable_page(rc.client.post(f"{base}/edit", data={
            "csrf_token": token, "_action": "save", "applicant_name": "Nguyễn Văn Lưu"}))
    finally:
        get_db(app).engine.dispose()
        _remount_read_write(small_disk)
    assert rc.client.get(f"{base}/edit").status_code == 200
    get_db(app).engine.dispose()


@pytest.mark.postgresql_only
def test_after_postgresql_drops_every_connection_the_next_requests_succeed(fresh_app):
    """A database restart kills the pooled connections: each is checked before use (pre-ping),
    so not one request after it fails."""
    from sqlalchemy import create_engine, text

    app = fresh_app()
    client = app.test_client()
    for _ in range(5):  # fill the pool with a few connections
        assert client.get("/procedures").status_code == 200
    name = get_db(app).engine.url.database
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name}).scalar()
    admin.dispose()
    assert killed >= 1
    assert [client.get("/procedures").status_code for _ in range(10)] == [200] * 10
    assert client.get("/healthz").status_code == 200


def test_a_database_error_at_commit_is_rolled_back_and_answered_with_our_503_page(fresh_app):
    """The disk under the database fills up between the request's last write and its commit:
    the change is rolled back and the resident sees our page, not the raw error."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from district_portal.models import Dossier

    app = fresh_app()
    rc, public_id = _resident_with_draft(app)
    token = rc.get("/procedures/1.001193").csrf_token()

    def disk_full(_session):
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    event.listen(Session, "before_commit", disk_full)
    try:
        response = rc.client.post("/procedures/1.001193/apply", data={"csrf_token": token})
    finally:
        event.remove(Session, "before_commit", disk_full)
    _assert_unavailable_page(response)
    with app.app_context(), get_db(app).transaction(write=False) as session:
        drafts = session.scalar(select(func.count()).select_from(Dossier))
    assert drafts == 1  # the one made before the fault; the failed click left nothing
