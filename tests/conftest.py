"""Fixtures: a migrated database per run (SQLite, or PostgreSQL when PORTAL_TEST_DATABASE_URL
names one), each test inside a rolled-back transaction, and fresh databases on demand."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from flask import g, request_started
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from district_portal import create_app
from district_portal.config import TestConfig
from district_portal.db import get_db
from district_portal.migrate import upgrade
from district_portal.services.catalog import demo_catalog_path, import_catalog
from district_portal.services.users import ensure_demo_users

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI") == "true"


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


def make_config(url: str, upload_dir: str, **overrides) -> TestConfig:
    config = TestConfig()
    config.DATABASE_URL = url
    config.UPLOAD_DIR = upload_dir
    config.SMS_LOG_FILE = os.path.join(upload_dir, "sms.log")
    config.MAIL_LOG_FILE = os.path.join(upload_dir, "mail.log")
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def seed(app) -> None:
    with get_db(app).transaction() as session:
        import_catalog(session, json.loads(demo_catalog_path().read_text("utf-8")),
                       reason="test seed")
        ensure_demo_users(session)


@pytest.fixture
def fresh_app(databases, tmp_path):
    """An app on a database of its own, migrated and seeded (browser, CLI, concurrency)."""

    def build(seeded: bool = True, **overrides):
        url = databases.new_url()
        upgrade(url)
        app = create_app(make_config(url, str(tmp_path / "uploads"), **overrides))
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
    app = create_app(make_config(url, str(tmp_path_factory.mktemp("uploads"))))
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
    bound = sessionmaker(bind=connection, expire_on_commit=False,
                         join_transaction_mode="create_savepoint")
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


def require_chromium():
    path = "/usr/bin/chromium"
    if not os.path.exists(path):
        if IN_CI:
            pytest.fail("Chromium is required under CI but /usr/bin/chromium is missing")
        pytest.skip("BROWSER TESTS SKIPPED: /usr/bin/chromium is not installed "
                    "(apt-get install chromium)")
    return path


def _forget_user(sender, **extra):
    # The test keeps an app context pushed, which every client request then shares: drop
    # Flask-Login's user and Flask-WTF's token cached on it, so each request uses its own cookie.
    g.pop("_login_user", None)
    g.pop("csrf_token", None)  # Flask-WTF caches the signed token there too


@pytest.fixture
def sess(app, db_session):
    """The test's session inside a request context (services format Vietnamese text)."""
    request_started.connect(_forget_user, app)
    try:
        with app.test_request_context():
            yield db_session
    finally:
        request_started.disconnect(_forget_user, app)
