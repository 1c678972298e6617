"""The `portal` commands on databases of their own: units, users and demo data."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from vietnam_provinces import ProvinceCode, Ward

from district_portal.db import get_db
from district_portal.models import Base, Office, OfficeKind, Role, User
from district_portal.services.accounts.users import DEMO_USERS, password_matches

PHU_THO = 25


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["portal", *args])


def official_commune_codes(province: int) -> set[int]:
    return {w.code.value for w in Ward.iter_by_province(ProvinceCode(province))}


def offices(app) -> list[tuple[str, str, int | None, str | None]]:
    with get_db(app).transaction(write=False) as session:
        return [(o.agency_code, str(o.kind), o.admin_unit_code,
                 o.parent.agency_code if o.parent else None)
                for o in session.scalars(select(Office).order_by(Office.id))]


def row_counts(app) -> dict[str, int]:
    with get_db(app).transaction(write=False) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t))
                for t in Base.metadata.sorted_tables}


def find_user(app, email: str) -> User | None:
    with get_db(app).transaction(write=False) as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None:
            user.office  # noqa: B018  (load it while the session is open)
        return user


# --- units-import -------------------------------------------------------------------------------


def test_units_import_creates_the_province_and_every_commune_with_provisional_codes(fresh_app):
    app = fresh_app(seeded=False)
    codes = official_commune_codes(PHU_THO)
    result = run_cli(app, "units-import", "--province", str(PHU_THO))
    assert result.exit_code == 0, result.output
    assert f"{len(codes) + 1} office(s) created" in result.output
    rows = offices(app)
    provinces = [r for r in rows if r[1] == "province"]
    assert provinces == [(f"TMP.{PHU_THO}", "province", PHU_THO, None)]
    communes = [r for r in rows if r[1] == "commune"]
    assert {r[2] for r in communes} == codes
    assert len(communes) == len(codes)
    for agency_code, _kind, unit_code, parent in communes:
        assert agency_code == f"TMP.{unit_code}"
        assert parent == f"TMP.{PHU_THO}"
    with get_db(app).transaction(write=False) as session:
        names = session.scalars(select(Office.name).where(
            Office.kind == OfficeKind.PROVINCE)).all()
    assert names == ["UBND tỉnh Phú Thọ"]


def test_units_import_twice_creates_nothing_the_second_time(fresh_app):
    app = fresh_app(seeded=False)
    assert run_cli(app, "units-import", "--province", str(PHU_THO)).exit_code == 0
    before = row_counts(app)
    result = run_cli(app, "units-import", "--province", str(PHU_THO))
    assert result.exit_code == 0, result.output
    assert "0 office(s) created" in result.output
    assert f"{len(official_commune_codes(PHU_THO)) + 1} already present" in result.output
    assert row_counts(app) == before


def test_units_import_keeps_the_communes_and_province_of_the_demo_catalogue(fresh_app):
    app = fresh_app()  # the demo catalogue has the province and three real communes
    demo = {r[2]: r[0] for r in offices(app) if r[2] is not None}
    codes = official_commune_codes(PHU_THO)
    demo_communes = {c for c in demo if c in codes}
    assert len(demo_communes) == 3
    result = run_cli(app, "units-import", "--province", str(PHU_THO))
    assert result.exit_code == 0, result.output
    assert f"{len(codes) - len(demo_communes)} office(s) created" in result.output
    rows = offices(app)
    unit_codes = Counter(r[2] for r in rows if r[1] == "commune")
    assert set(unit_codes) == codes
    assert max(unit_codes.values()) == 1
    assert [r[0] for r in rows if r[1] == "province"] == [demo[PHU_THO]]
    for agency_code, _kind, unit_code, parent in rows:
        if unit_code in demo_communes:
            assert agency_code == demo[unit_code]  # the real agency code is kept
        elif unit_code in codes:
            assert agency_code == f"TMP.{unit_code}"
            assert parent == demo[PHU_THO]


def test_units_import_of_an_unknown_province_fails_and_writes_nothing(fresh_app):
    app = fresh_app(seeded=False)
    before = row_counts(app)
    result = run_cli(app, "units-import", "--province", "99")
    assert result.exit_code != 0
    assert "no province with official code 99" in result.output
    assert "Traceback" not in result.output
    assert row_counts(app) == before


def test_units_import_needs_a_numeric_province(fresh_app):
    app = fresh_app(seeded=False)
    result = run_cli(app, "units-import", "--province", "Phú Thọ")
    assert result.exit_code != 0
    assert row_counts(app)["office"] == 0


# --- create-user --------------------------------------------------------------------------------


def test_create_user_creates_a_staff_account_in_its_office(fresh_app):
    app = fresh_app()
    result = run_cli(app, "create-user", "--email", " New.Clerk@Example.VN ", "--password",
                     "mật-khẩu-dài-2026", "--role", "clerk", "--role", "officer",
                     "--office", "000.00.05.T25", "--name", "Đỗ Văn Mới")
    assert result.exit_code == 0, result.output
    user = find_user(app, "new.clerk@example.vn")
    assert user is not None
    assert sorted(user.roles) == [Role.CLERK, Role.OFFICER]
    assert user.office.agency_code == "000.00.05.T25"
    assert user.full_name == "Đỗ Văn Mới"
    assert password_matches(user, "mật-khẩu-dài-2026")
    assert user.password_hash != "mật-khẩu-dài-2026"


def test_create_user_creates_a_citizen_without_an_office(fresh_app):
    app = fresh_app()
    result = run_cli(app, "create-user", "--phone", "0912 345 678", "--password", "pw-2026-long",
                     "--role", "citizen")
    assert result.exit_code == 0, result.output
    with get_db(app).transaction(write=False) as session:
        user = session.scalar(select(User).where(User.phone == "+84912345678"))
    assert user is not None and user.office_id is None
    assert user.phone_verified_at is not None


def test_create_user_refuses_staff_without_an_office(fresh_app):
    app = fresh_app()
    before = row_counts(app)
    result = run_cli(app, "create-user", "--email", "x@example.vn", "--password", "pw",
                     "--role", "leader")
    assert result.exit_code == 1
    assert "staff accounts need --office" in result.output
    assert row_counts(app) == before


def test_create_user_refuses_an_unknown_office(fresh_app):
    app = fresh_app()
    before = row_counts(app)
    result = run_cli(app, "create-user", "--email", "x@example.vn", "--password", "pw",
                     "--role", "clerk", "--office", "999.99.99.X99")
    assert result.exit_code == 1
    assert "no office with agency code 999.99.99.X99" in result.output
    assert row_counts(app) == before


def test_create_user_refuses_a_duplicate_email_in_any_case(fresh_app):
    app = fresh_app()
    before = row_counts(app)
    for email in ("clerk@demo.test", "CLERK@Demo.Test"):
        result = run_cli(app, "create-user", "--email", email, "--password", "pw",
                         "--role", "clerk", "--office", "000.00.04.T25")
        assert result.exit_code == 1
        assert "already exists" in result.output
    assert row_counts(app) == before


def test_create_user_refuses_an_unknown_role_with_a_message(fresh_app):
    app = fresh_app()
    before = row_counts(app)
    result = run_cli(app, "create-user", "--email", "x@example.vn", "--password", "pw",
                     "--role", "mayor", "--office", "000.00.04.T25")
    assert result.exit_code == 1
    assert "mayor" in result.output
    assert isinstance(result.exception, SystemExit)
    assert row_counts(app) == before


# --- demo ---------------------------------------------------------------------------------------


def test_demo_loads_the_catalogue_and_accounts_and_is_idempotent(fresh_app):
    app = fresh_app(seeded=False)
    first = run_cli(app, "demo")
    assert first.exit_code == 0, first.output
    after_first = row_counts(app)
    assert after_first["user_account"] == len(DEMO_USERS)
    assert after_first["procedure"] > 0
    for email, _name, _roles, _office in DEMO_USERS:
        assert email in first.output
    second = run_cli(app, "demo")
    assert second.exit_code == 0, second.output
    assert "procedures: 0 created, 0 new version(s)" in second.output
    assert row_counts(app) == after_first


def test_offices_from_units_import_survive_catalogue_export_and_import(fresh_app, tmp_path):
    import json

    from district_portal.services.catalog.importer import validate_catalog

    app = fresh_app()
    assert run_cli(app, "units-import", "--province", str(PHU_THO)).exit_code == 0
    path = tmp_path / "export.json"
    assert run_cli(app, "catalog-export", str(path)).exit_code == 0
    exported = json.loads(path.read_text("utf-8"))
    assert validate_catalog(exported) == []
    assert len(exported["offices"]) == row_counts(app)["office"]

    target = fresh_app(seeded=False)
    result = run_cli(target, "catalog-import", str(path))
    assert result.exit_code == 0, result.output
    assert offices(target) == offices(app)


# --- db-upgrade ---------------------------------------------------------------------------------


def _revision(app) -> str | None:
    from alembic.migration import MigrationContext

    with get_db(app).engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _head() -> str:
    from alembic.script import ScriptDirectory

    from district_portal.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_db_upgrade_migrates_an_empty_database_to_head(databases, tmp_path):
    from tests.conftest import build_app, make_config

    app = build_app(make_config(databases.new_url(), str(tmp_path / "uploads")))
    assert _revision(app) is None
    result = run_cli(app, "db-upgrade")
    assert result.exit_code == 0, result.output
    assert "Database is at revision head." in result.output
    assert _revision(app) == _head()
    assert set(row_counts(app)) == set(Base.metadata.tables)
    get_db(app).engine.dispose()


def test_db_upgrade_on_a_migrated_database_changes_nothing(fresh_app):
    app = fresh_app()
    before = row_counts(app)
    for _ in range(2):
        result = run_cli(app, "db-upgrade")
        assert result.exit_code == 0, result.output
        assert _revision(app) == _head()
        assert row_counts(app) == before


# --- backup -------------------------------------------------------------------------------------


def _file_a_dossier_with_an_upload(app) -> tuple[str, str, bytes]:
    """A dossier filed through the services with one stored PDF: (code, file id, bytes)."""
    from tests.factories import TINY_PDF, create_filed_dossier

    with app.test_request_context(), get_db(app).transaction() as session:
        d = create_filed_dossier(session)
        return d.code, d.attachments[0].public_id, TINY_PDF


def _restore(backup: Path, databases, tmp_path) -> str:
    """A new database holding the backup in `backup` (SQLite file or pg_dump archive)."""
    if (backup / "portal.sqlite3").exists():
        return f"sqlite:///{backup / 'portal.sqlite3'}"
    url = databases.new_url()
    libpq = url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq}",
                    str(backup / "portal.dump")], check=True, capture_output=True)
    return url


def test_backup_writes_a_restorable_database_and_the_uploads(fresh_app, databases, tmp_path):
    from tests.conftest import build_app, make_config
    from tests.helpers import login

    app = fresh_app()
    code, file_id, content = _file_a_dossier_with_an_upload(app)
    result = run_cli(app, "backup", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output
    [backup] = (tmp_path / "backups").iterdir()
    assert f"backup written to {backup}" in result.output
    assert (backup / "uploads").is_dir()
    uploaded = [p for p in (backup / "uploads").rglob("*") if p.is_file()
                and p.read_bytes() == content]
    assert uploaded, "the stored upload is in the backup"

    restored = build_app(make_config(_restore(backup, databases, tmp_path),
                                     str(backup / "uploads")))
    try:
        assert row_counts(restored) == row_counts(app)
        client = restored.test_client()
        login(client, find_user(restored, "clerk@demo.test"))
        page = client.get(f"/staff/dossiers/{code}")
        assert page.status_code == 200 and code in page.get_data(as_text=True)
        download = client.get(f"/staff/dossiers/{code}/files/{file_id}")
        assert download.status_code == 200 and download.data == content
    finally:
        get_db(restored).engine.dispose()

