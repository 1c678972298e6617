"""The migrations build exactly the schema the models describe, and undo it (on either engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import district_portal.models  # noqa: F401  (registers every table)
from district_portal.db import make_engine
from district_portal.migrate import alembic_config, downgrade, upgrade
from district_portal.models import Base
from district_portal.services.dossiers.search import NAME_INDEX_OBJECTS

ROOT = Path(__file__).resolve().parent.parent


def _modelled(name: str | None) -> bool:
    """Not one of the engines' own name-search structures (an FTS5 table and its shadow
    tables on SQLite, a pg_trgm index on PostgreSQL), which no model describes."""
    return not (name or "").startswith(NAME_INDEX_OBJECTS)


def differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True,
                "include_name": lambda name, _type, _parents: _modelled(name)})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {t for t in inspect(engine).get_table_names() if _modelled(t)}
    finally:
        engine.dispose()


def revision_in(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_an_empty_database_upgraded_to_head_matches_the_models(databases):
    url = databases.new_url()
    upgrade(url)
    assert revision_in(url) == head()
    assert differences(url) == []
    assert tables(url) == set(Base.metadata.tables) | {"alembic_version"}


def test_downgrade_to_base_removes_every_table_and_upgrade_works_again(databases):
    url = databases.new_url()
    upgrade(url)
    downgrade(url, "base")
    assert tables(url) - {"alembic_version"} == set()
    assert revision_in(url) is None
    upgrade(url)
    assert revision_in(url) == head()
    assert differences(url) == []


def test_a_migrated_database_accepts_the_demo_catalogue_after_a_round_trip(databases):
    import json

    from sqlalchemy.orm import Session

    from district_portal.services.catalog.importer import demo_catalog_path, import_catalog

    url = databases.new_url()
    upgrade(url)
    downgrade(url, "base")
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = import_catalog(session, json.loads(demo_catalog_path().read_text("utf-8")))
            session.commit()
            assert report.procedures_created > 0
            assert session.execute(text("SELECT count(*) FROM procedure")).scalar() == \
                report.procedures_created
    finally:
        engine.dispose()


def test_every_migration_is_named_after_its_revision_and_can_be_downgraded():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert revisions
    for rev in revisions:
        path = Path(rev.path)
        assert path.stem == rev.revision
        assert path.stem[:4].isdigit() and path.stem[4] == "_"
        assert "def downgrade()" in path.read_text("utf-8")
        assert path.parent == ROOT / "migrations" / "versions"


@pytest.mark.postgresql_only
def test_two_servers_migrating_the_same_database_at_once_both_succeed(databases):
    """Province servers start together, each running `portal db-upgrade`: the advisory lock
    makes the second wait, then find the schema at head. Without it both create the same
    tables and one fails."""
    import os
    import secrets
    import subprocess
    import sys

    url = databases.new_url()
    env = {**os.environ, "PORTAL_ENV": "production", "PORTAL_DATABASE_URL": url,
           "PORTAL_SECRET_KEY": secrets.token_hex(32)}
    runs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "portal",
                              "db-upgrade"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err.decode()[-2000:]
    assert revision_in(url) == head()
    assert differences(url) == []
