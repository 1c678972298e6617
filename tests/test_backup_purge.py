"""`portal backup`, `portal restore` and `portal purge` (issue #11 items 6 and 19): a backup is
consistent under upload load, uniquely named and marked complete last; restore puts it back on
either engine; purge removes abandoned drafts and unnamed files, never a submitted dossier."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from district_portal import cli_files
from district_portal.db import get_db
from district_portal.models import Attachment, Dossier, DossierStatus
from district_portal.models.types import utcnow
from district_portal.services import storage
from district_portal.services.dossiers import filing
from tests.conftest import build_app, make_config
from tests.factories import BIRTH, create_filed_dossier, procedure, user
from tests.helpers import login, pdf_bytes
from tests.test_cli import find_user, row_counts, run_cli


def _file_one(app) -> tuple[str, str, bytes]:
    with app.test_request_context(), get_db(app).transaction() as session:
        d = create_filed_dossier(session)
        a = d.attachments[0]
        return d.code, a.public_id, storage.path_of(app.config["UPLOAD_DIR"],
                                                    a.stored_name).read_bytes()


def _backups(dest: Path) -> list[Path]:
    return sorted(p for p in dest.iterdir() if p.is_dir())


def test_two_backups_in_one_second_get_two_complete_directories(fresh_app, tmp_path):
    app = fresh_app()
    _file_one(app)
    for _ in range(2):
        result = run_cli(app, "backup", str(tmp_path / "b"))
        assert result.exit_code == 0, result.output
    first, second = _backups(tmp_path / "b")
    for backup in (first, second):
        marker = json.loads((backup / "COMPLETE").read_text("utf-8"))
        assert marker["files"] == 1 and marker["missing_files"] == []
        assert marker["engine"] == get_db(app).engine.dialect.name


def test_a_file_vanishing_during_the_copy_does_not_fail_the_backup(fresh_app, tmp_path,
                                                                   monkeypatch):
    app = fresh_app()
    _file_one(app)
    upload_dir = Path(app.config["UPLOAD_DIR"])
    stray = storage.store(str(upload_dir), io.BytesIO(pdf_bytes(b"se bien mat")), 1 << 20)
    (upload_dir / ".upload-in-flight").write_bytes(b"half an upload")
    real_copy = cli_files.shutil.copyfile

    def racing_copy(src, dst):  # the file is removed just as it is about to be copied
        if Path(src).name == stray.sha256:
            Path(src).unlink()
        return real_copy(src, dst)

    monkeypatch.setattr(cli_files.shutil, "copyfile", racing_copy)
    result = run_cli(app, "backup", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    (backup,) = _backups(tmp_path / "b")
    names = {p.name for p in (backup / "uploads").rglob("*") if p.is_file()}
    assert stray.sha256 not in names and ".upload-in-flight" not in names
    assert json.loads((backup / "COMPLETE").read_text("utf-8"))["files"] == 1


def test_backup_under_upload_load_is_complete_and_every_copied_file_is_whole(fresh_app,
                                                                              tmp_path):
    app = fresh_app()
    _file_one(app)
    upload_dir = str(app.config["UPLOAD_DIR"])
    stop = threading.Event()
    errors: list[BaseException] = []

    def load() -> None:  # uploads in flight: temporary files appear and vanish, files land
        n = 0
        try:
            while not stop.is_set():
                n += 1
                storage.store(upload_dir, io.BytesIO(pdf_bytes(b"%d" % n * 2000)), 1 << 22)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=load) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        for _ in range(3):
            result = run_cli(app, "backup", str(tmp_path / "b"))
            assert result.exit_code == 0, result.output
    finally:
        stop.set()
        for w in workers:
            w.join(30)
    assert not errors, errors
    backups = _backups(tmp_path / "b")
    assert len(backups) == 3
    for backup in backups:
        assert (backup / "COMPLETE").exists()
        for path in (backup / "uploads").rglob("*"):
            if path.is_file():
                assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name


def test_restore_puts_the_database_and_the_files_back(fresh_app, databases, tmp_path):
    app = fresh_app()
    code, file_id, content = _file_one(app)
    assert run_cli(app, "backup", str(tmp_path / "b")).exit_code == 0
    (backup,) = _backups(tmp_path / "b")
    # A new server: an empty database and an empty upload directory.
    target = build_app(make_config(databases.new_url(), str(tmp_path / "new-uploads")))
    try:
        refused = run_cli(target, "restore", str(backup))
        assert refused.exit_code != 0 and "--yes" in refused.output
        result = run_cli(target, "restore", str(backup), "--yes")
        assert result.exit_code == 0, result.output
        assert row_counts(target) == row_counts(app)
        client = target.test_client()
        login(client, find_user(target, "clerk@demo.test"))
        download = client.get(f"/staff/dossiers/{code}/files/{file_id}")
        assert download.status_code == 200 and download.data == content
    finally:
        get_db(target).engine.dispose()


def test_restore_refuses_an_incomplete_backup(fresh_app, tmp_path):
    app = fresh_app()
    assert run_cli(app, "backup", str(tmp_path / "b")).exit_code == 0
    (backup,) = _backups(tmp_path / "b")
    (backup / "COMPLETE").unlink()
    result = run_cli(app, "restore", str(backup), "--yes")
    assert result.exit_code != 0 and "COMPLETE" in result.output


# --- purge ----------------------------------------------------------------------------------


def _age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


@pytest.fixture
def purge_scene(fresh_app):
    """An old abandoned draft with a file, a recent draft, an old submitted dossier, and
    left-over files (old and new, stored and temporary)."""
    app = fresh_app()
    long_ago = utcnow() - timedelta(days=200)
    with app.test_request_context(), get_db(app).transaction() as s:
        resident = user(s, "resident@demo.test")
        old_draft = filing.start_draft(s, resident, procedure(s, BIRTH))
        old_file = filing.add_attachment(
            s, old_draft, "giay_chung_sinh",
            _upload(pdf_bytes(b"bo quen")), resident)
        recent_draft = filing.start_draft(s, resident, procedure(s, "1.004873"))
        filed = create_filed_dossier(s)
        s.flush()
        old_draft.updated_at = old_draft.created_at = long_ago
        filed.updated_at = long_ago
        ids = {"old": old_draft.public_id, "recent": recent_draft.public_id,
               "filed": filed.public_id}
        old_sha, filed_sha = old_file.stored_name, filed.attachments[0].stored_name
    upload_dir = Path(app.config["UPLOAD_DIR"])
    for sha in (old_sha, filed_sha):
        _age(storage.path_of(str(upload_dir), sha), 200)
    orphan_old = storage.store(str(upload_dir), io.BytesIO(pdf_bytes(b"mo coi")), 1 << 20)
    _age(storage.path_of(str(upload_dir), orphan_old.sha256), 3)
    orphan_new = storage.store(str(upload_dir), io.BytesIO(pdf_bytes(b"dang tai")), 1 << 20)
    (upload_dir / ".upload-killed").write_bytes(b"x" * 1000)
    _age(upload_dir / ".upload-killed", 2)
    (upload_dir / ".upload-in-flight").write_bytes(b"y")
    return app, ids, {"old": old_sha, "filed": filed_sha, "orphan_old": orphan_old.sha256,
                      "orphan_new": orphan_new.sha256}


def _upload(content: bytes):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(content), filename="giay.pdf")


def test_purge_removes_abandoned_drafts_and_unnamed_files_but_never_a_submitted_dossier(
        purge_scene):
    app, ids, shas = purge_scene
    result = run_cli(app, "purge", "--days", "90")
    assert result.exit_code == 0, result.output
    assert "drafts removed: 1" in result.output
    assert "files removed: 2" in result.output and "temporary files removed: 1" in result.output
    with get_db(app).transaction() as s:
        left = {d.public_id: d.status for d in s.scalars(select(Dossier))}
        assert ids["old"] not in left
        assert left[ids["recent"]] == DossierStatus.DRAFT
        assert left[ids["filed"]] == DossierStatus.SUBMITTED
        assert s.scalar(select(Attachment).where(Attachment.stored_name == shas["filed"]))
    upload_dir = str(app.config["UPLOAD_DIR"])
    gone = {k for k, sha in shas.items() if not storage.path_of(upload_dir, sha).exists()}
    assert gone == {"old", "orphan_old"}
    assert not (Path(upload_dir) / ".upload-killed").exists()
    assert (Path(upload_dir) / ".upload-in-flight").exists()  # younger than the grace


def test_purge_uses_the_configured_number_of_days(fresh_app, purge_scene):
    app, ids, _ = purge_scene
    app.config["PURGE_DRAFT_DAYS"] = 365
    result = run_cli(app, "purge")
    assert result.exit_code == 0 and "drafts removed: 0 (untouched 365 days)" in result.output


def test_the_purge_timer_runs_the_purge_command_daily():
    root = Path(__file__).resolve().parent.parent / "deploy"
    service = (root / "portal-purge.service").read_text("utf-8")
    timer = (root / "portal-purge.timer").read_text("utf-8")
    assert "Type=oneshot" in service and "RuntimeMaxSec=" in service
    assert "ExecStart=/srv/portal/.venv/bin/flask --app app portal purge" in service
    assert "OnCalendar=" in timer and "Persistent=true" in timer
