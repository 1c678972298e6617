"""`portal purge`, `portal backup DEST` and `portal restore SRC`: the files and the database.

A backup is a directory `portal-<UTC time>-<random>` (unique even for two runs in one second)
holding the database (SQLite's online backup API, or pg_dump's custom archive), the stored
uploads, and last a marker file COMPLETE with what it holds: a directory without the marker
is not a backup (the run failed or is still running). The database is copied first, then the
files: every file a copied row names was on disk (fsynced) before that row committed, so it is
there to copy; temporary files of uploads in flight are skipped, and a file that vanishes
while it is copied is skipped (nothing referenced can vanish except by a removal that
committed after the database copy, which the marker lists).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess  # nosec B404 — runs pg_dump/pg_restore/psql only, argument lists, no shell
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from district_portal.db import get_db

MARKER = "COMPLETE"
SHA_NAME = re.compile(r"[0-9a-f]{64}")


@click.command("purge")
@with_appcontext
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Remove drafts untouched this many days [default: PORTAL_PURGE_DRAFT_DAYS].")
@click.option("--grace-minutes", type=click.IntRange(min=1), default=60, show_default=True,
              help="Only files older than this (uploads in flight are younger).")
def purge(days: int | None, grace_minutes: int) -> None:
    """Remove abandoned drafts, stored files nothing names and left-over temporary files.
    Never a submitted dossier. Run daily (deploy/portal-purge.timer)."""
    from district_portal.services.dossiers import purge as service

    days = days or current_app.config["PURGE_DRAFT_DAYS"]
    report = service.PurgeReport()
    with get_db().transaction() as session:
        service.delete_drafts(session, service.abandoned_drafts(session, days), report)
    with get_db().transaction(write=False) as session:
        service.delete_unnamed_files(session, current_app.config["UPLOAD_DIR"],
                                     timedelta(minutes=grace_minutes), report)
    click.echo(f"drafts removed: {report.drafts} (untouched {days} days); files removed: "
               f"{report.files}; temporary files removed: {report.temporary}; "
               f"{report.bytes / 1048576:.1f} MB freed")
    for line in report.errors:
        click.echo(f"error: {line}", err=True)
    if report.errors:
        sys.exit(1)


# --- backup ---------------------------------------------------------------------------------


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _dump_database(out: Path) -> str:
    engine = get_db().engine
    if engine.dialect.name == "sqlite":
        target_path = out / "portal.sqlite3"
        with closing(sqlite3.connect(engine.url.database)) as source, \
                closing(sqlite3.connect(target_path)) as target:
            source.backup(target)
        _fsync(target_path)
        return target_path.name
    pg_url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    # pg_dump from the deployer's PATH; arguments are a list (no shell) from our config.
    command = ["pg_dump", "--format=custom", f"--file={out / 'portal.dump'}", pg_url]
    subprocess.run(command, check=True)  # nosec B603 B607 — fixed command, list arguments
    _fsync(out / "portal.dump")
    return "portal.dump"


def _copy_uploads(source: Path, target: Path) -> tuple[set[str], int]:
    """Copy the stored files (not temporary ones); a file that vanishes is skipped."""
    names: set[str] = set()
    size = 0
    if not source.exists():
        return names, size
    for folder, _dirs, files in os.walk(source):
        for name in files:
            if not SHA_NAME.fullmatch(name):  # a temporary upload, or anything else
                continue
            src = Path(folder) / name
            dst = target / src.relative_to(source)
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(src, dst)
            except FileNotFoundError:  # removed while we copied: not in the backup
                dst.unlink(missing_ok=True)
                continue
            _fsync(dst)
            names.add(name)
            size += dst.stat().st_size
    for folder, _dirs, _files in os.walk(target):
        _fsync(Path(folder))
    return names, size


def _named_files() -> set[str]:
    from sqlalchemy import select

    from district_portal.models import Attachment

    with get_db().transaction(write=False) as session:
        return set(session.scalars(select(Attachment.stored_name).distinct()))


def _new_backup_dir(dest: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = dest / f"portal-{stamp}-{secrets.token_hex(3)}"
    out.mkdir(parents=True, exist_ok=False)
    return out


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(file_okay=False))
def backup(dest: str) -> None:
    """Copy the database (SQLite online backup, or pg_dump) and the uploads to a new directory
    in DEST, and mark it complete last (the file COMPLETE)."""
    started = datetime.now(UTC)
    out = _new_backup_dir(Path(dest))
    database = _dump_database(out)
    named = _named_files()
    copied, size = _copy_uploads(Path(current_app.config["UPLOAD_DIR"]), out / "uploads")
    # Rows that name a file no longer stored: removed after the database copy, or lost.
    missing = sorted(n for n in named - copied if SHA_NAME.fullmatch(n))
    marker = {"format": 1, "started_at": started.isoformat(),
              "finished_at": datetime.now(UTC).isoformat(),
              "engine": get_db().engine.dialect.name, "database": database,
              "files": len(copied), "bytes": size, "missing_files": missing}
    tmp = out / f".{MARKER}.tmp"
    tmp.write_text(json.dumps(marker, indent=2) + "\n", "utf-8")
    _fsync(tmp)
    os.replace(tmp, out / MARKER)
    _fsync(out)
    click.echo(f"backup written to {out} ({len(copied)} files, {size / 1048576:.1f} MB)")
    if missing:
        click.echo(f"warning: {len(missing)} file(s) named by the database were not in the "
                   f"upload directory: {', '.join(missing[:10])}", err=True)


# --- restore --------------------------------------------------------------------------------


def _restore_database(src: Path, marker: dict) -> None:
    engine = get_db().engine
    if marker["engine"] != engine.dialect.name:
        raise click.ClickException(f"the backup is of a {marker['engine']} database; the "
                                   f"configured database is {engine.dialect.name}")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        target = Path(engine.url.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(src / "portal.sqlite3")) as source, \
                closing(sqlite3.connect(target)) as dest:
            source.backup(dest)
        return
    pg_url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
               "--single-transaction", f"--dbname={pg_url}", str(src / "portal.dump")]
    subprocess.run(command, check=True)  # nosec B603 B607 — fixed command, list arguments


def _restore_uploads(source: Path, target: Path) -> int:
    count = 0
    for path in source.rglob("*"):
        if not (path.is_file() and SHA_NAME.fullmatch(path.name)):
            continue
        dst = target / path.relative_to(source)
        if dst.exists():  # stored under its SHA-256: the same name is the same content
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".upload-restore-{secrets.token_hex(4)}")
        shutil.copyfile(path, tmp)
        _fsync(tmp)
        os.replace(tmp, dst)
        count += 1
    for folder, _dirs, _files in os.walk(target):
        _fsync(Path(folder))
    return count


@click.command("restore")
@with_appcontext
@click.argument("src", type=click.Path(file_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Confirm: the configured database is replaced.")
def restore(src: str, yes: bool) -> None:
    """Replace the configured database with the backup in SRC and put its uploads back.
    Stop the portal first (systemctl stop portal); refuses a backup without COMPLETE."""
    path = Path(src)
    try:
        marker = json.loads((path / MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        raise click.ClickException(f"{src} is not a complete backup (no {MARKER} file): "
                                   "choose another one") from None
    if not yes:
        raise click.ClickException("restoring replaces the whole database: stop the portal, "
                                   "then run again with --yes")
    _restore_database(path, marker)
    count = _restore_uploads(path / "uploads", Path(current_app.config["UPLOAD_DIR"]))
    click.echo(f"restored the {marker['engine']} database of {marker['started_at']} and "
               f"{count} file(s) into {current_app.config['UPLOAD_DIR']}")
