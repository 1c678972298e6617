"""Fixtures: a migrated database per run (SQLite, or PostgreSQL when PORTAL_TEST_DATABASE_URL
names one), each test inside a rolled-back transaction, and fresh databases on demand."""

from __future__ import annotations

import contextvars
import json
import os
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from district_portal import create_app
from district_portal.config import TestConfig
from district_portal.db import get_db
from district_portal.migrate import upgrade
from district_portal.services.accounts.users import ensure_demo_users
from district_portal.services.catalog.importer import demo_catalog_path, import_catalog

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite'}"


class DatabaseFactory:
    """Creates empty databases of the engine under test and drops them at the end."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.created: list[str] = []

    def new_url(self) -> str:
        if not PG_URL:
            return f"sqlite:///{self.tmp.mktemp('db') / 'portal.sqlite3'}"
        name = f"portal_t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return PG_URL.rsplit("/", 1)[0] + f"/{name}"

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


@pytest.fixture
def fresh_app(databases, tmp_path):
    """An app on a database of its own, migrated and seeded (browser, CLI, concurrency)."""

    def build(seeded: bool = True, **overrides):
        url = databases.new_url()
        upgrade(url)
        app = build_app(make_config(url, str(tmp_path / "uploads"), **overrides))
        if seeded:
            seed(app)
        return app

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
    url = databases.new_url()
    upgrade(url)
    app = build_app(make_config(url, str(tmp_path_factory.mktemp("uploads"))))
    seed(app)
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
    from helpers import user_by_email

    return user_by_email(session, "resident@demo.test")


@pytest.fixture
def other_resident(session):
    from district_portal.services.accounts.users import create_user

    user = create_user(
        session,
        email="hang.xom@demo.test",
        password="x" * 12,
        roles=["citizen"],
        full_name="Trần Văn Hàng Xóm",
    )
    session.commit()
    return user


@pytest.fixture
def clerk(session):
    from helpers import user_by_email

    return user_by_email(session, "clerk@demo.test")


@pytest.fixture
def resident_client(app, resident):
    """A ClientRequest logged in as the demo resident."""
    from helpers import ClientRequest, login

    client = app.test_client()
    login(client, resident)
    return ClientRequest(client)


@pytest.fixture
def all_types_procedure(session):
    from helpers import TEST_PROC, all_types_entry, import_procedure

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
