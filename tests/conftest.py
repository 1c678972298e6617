"""Fixtures: a migrated database per run (SQLite, or PostgreSQL when PORTAL_TEST_DATABASE_URL
names one), each test inside a rolled-back transaction, and fresh databases on demand."""

from __future__ import annotations

import contextvars
import json
import os
import sqlite3
import uuid
from contextlib import closing

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import sessionmaker

from district_portal import create_app
from district_portal.config import TestConfig
from district_portal.db import get_db
from district_portal.migrate import upgrade
from district_portal.services.accounts.users import create_user, ensure_demo_users
from district_portal.services.catalog.importer import demo_catalog_path, import_catalog
from tests.factories import user
from tests.helpers import (
    TEST_PROC,
    ClientRequest,
    all_types_entry,
    enrol_demo_staff,
    import_procedure,
    login,
)

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite'}"


def pytest_runtest_setup(item):
    """`@pytest.mark.postgresql_only`: what only PostgreSQL does (SKIP LOCKED, pg_dump ...) is
    skipped with its reason on SQLite, never passed vacuously. CI runs the suite on both."""
    if item.get_closest_marker("postgresql_only") and not PG_URL:
        pytest.skip("PostgreSQL only: set PORTAL_TEST_DATABASE_URL to a PostgreSQL database "
                    "(CI runs the suite on both engines)")


class DatabaseFactory:
    """Creates databases of the engine under test and drops them at the end: empty ones, or
    copies of a template migrated (and seeded) once per session, which is much faster than
    migrating each time (SQLite: a file copy; PostgreSQL: CREATE DATABASE ... TEMPLATE)."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.created: list[str] = []
        self.templates: dict[bool, str] = {}  # seeded? → template URL

    def new_url(self, template: str | None = None) -> str:
        """A new database: empty, or a copy of the database at `template`."""
        if not PG_URL:
            path = self.tmp.mktemp("db") / "portal.sqlite3"
            if template is not None:  # SQLite's backup API: a consistent copy, WAL or not
                with closing(sqlite3.connect(make_url(template).database)) as source, \
                        closing(sqlite3.connect(path)) as target:
                    source.backup(target)
            return f"sqlite:///{path}"
        name = f"portal_t_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{make_url(template).database}"' if template else ""
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        admin.dispose()
        self.created.append(name)
        return PG_URL.rsplit("/", 1)[0] + f"/{name}"

    def migrated_url(self, seeded: bool = False) -> str:
        """A new database at the head migration, with the demo catalogue and accounts if
        `seeded`, copied from a template built on first use."""
        if seeded not in self.templates:
            url = self.new_url(self.templates.get(False))
            if False not in self.templates:
                upgrade(url)
            if seeded:
                app = build_app(make_config(url, str(self.tmp.mktemp("seed"))))
                seed(app)
                get_db(app).engine.dispose()
            self.templates[seeded] = url
        return self.new_url(self.templates[seeded])

    def drop_all(self):
        if not self.created:
            return
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    factory = DatabaseFactory(tmp_path_factory)
    yield factory
    factory.drop_all()


class IsolatedClient(FlaskClient):
    """Each request runs in an empty context, so it pushes its own app context even when the
    test holds one open: nothing cached on flask.g (the logged-in user, the request's
    database session) leaks between requests, as in a real server."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_config(url: str, upload_dir: str, **overrides) -> TestConfig:
    config = TestConfig()
    config.DATABASE_URL = url
    config.UPLOAD_DIR = upload_dir
    config.SMS_LOG_FILE = os.path.join(upload_dir, "sms.log")
    config.MAIL_LOG_FILE = os.path.join(upload_dir, "mail.log")
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def build_app(config):
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def seed(app) -> None:
    with get_db(app).transaction() as session:
        import_catalog(
            session, json.loads(demo_catalog_path().read_text("utf-8")), reason="test seed"
        )
        ensure_demo_users(session)
        enrol_demo_staff(session)


@pytest.fixture
def fresh_app(databases, tmp_path):
    """An app on a database of its own, migrated and seeded (browser, CLI, concurrency),
    copied from the session's template database."""

    def build(seeded: bool = True, **overrides):
        url = databases.migrated_url(seeded=seeded)
        return build_app(make_config(url, str(tmp_path / "uploads"), **overrides))

    apps = []

    def tracked(**kw):
        app = build(**kw)
        apps.append(app)
        return app

    yield tracked
    for app in apps:
        get_db(app).engine.dispose()


@pytest.fixture(scope="session")
def _session_app(databases, tmp_path_factory):
    url = databases.migrated_url(seeded=True)
    app = build_app(make_config(url, str(tmp_path_factory.mktemp("uploads"))))
    yield app
    get_db(app).engine.dispose()


@pytest.fixture
def app(_session_app):
    """The shared app; everything a test writes is rolled back after it."""
    database = get_db(_session_app)
    connection = database.engine.connect()
    outer = connection.begin()
    saved = database.reader, database.writer
    bound = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    database.reader = database.writer = bound
    try:
        yield _session_app
    finally:
        database.reader, database.writer = saved
        outer.rollback()
        connection.close()


@pytest.fixture
def db_session(app):
    with app.app_context():
        session = get_db(app).writer()
        yield session
        session.close()


@pytest.fixture
def client(app):
    return app.test_client()


# --- filing: accounts, a logged-in resident and the every-field-type procedure ---------------


@pytest.fixture
def session(app):
    """A session on the test's rolled-back connection, with no app context pushed."""
    s = get_db(app).writer()
    yield s
    s.close()


@pytest.fixture
def resident(session):
    return user(session, "resident@demo.test")


@pytest.fixture
def other_resident(session):
    account = create_user(session, email="hang.xom@demo.test", password="x" * 12,
                          roles=["citizen"], full_name="Trần Văn Hàng Xóm")
    session.commit()
    return account


@pytest.fixture
def clerk(session):
    return user(session, "clerk@demo.test")


@pytest.fixture
def resident_client(app, resident):
    """A ClientRequest logged in as the demo resident."""
    client = app.test_client()
    login(client, resident)
    return ClientRequest(client)


@pytest.fixture
def all_types_procedure(session):
    import_procedure(session, all_types_entry())
    return TEST_PROC


@pytest.fixture
def sess(app, db_session):
    """The test's session inside a request context (services format Vietnamese text)."""
    with app.test_request_context():
        yield db_session


@pytest.fixture
def store(app):
    """A session on the test's connection that holds no app context: with one pushed (as
    the `service` fixtures do), test-client requests share flask.g and Flask-Login's cached user."""
    session = get_db(app).writer()
    yield session
    session.close()
