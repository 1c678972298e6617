"""Engine, sessions and the one-transaction-per-request rule.

Services flush, never commit. `init_app` commits once after a request that did not fail
(any status below 500) and rolls back otherwise. On SQLite, a request that writes (any
method but GET/HEAD/OPTIONS) opens its transaction with BEGIN IMMEDIATE so it waits for
the write lock instead of failing half-way (SQLAlchemy's pysqlite recipe).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, FULL sync, foreign keys and a busy timeout."""
    kwargs: dict = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
    else:
        # Enough connections for waitress's threads plus a few CLI/background users.
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling is broken).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("sqlite_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class Database:
    """Holds one app's engine and session factory; the session lives on flask.g."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.engine = make_engine(url, echo)
        self.reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.writer = sessionmaker(
            bind=self.engine.execution_options(sqlite_write=True), expire_on_commit=False
        )

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """A session committed on success and rolled back on error (CLI, scripts, tests)."""
        session = (self.writer if write else self.reader)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["portal_db"]


def session() -> Session:
    """The current request's session (one per request, created on first use)."""
    if "db_session" not in g:
        db = get_db()
        write = True
        try:
            write = request.method not in SAFE_METHODS or g.get("db_write", False)
        except RuntimeError:  # no request: app context of a CLI command
            pass
        g.db_session = (db.writer if write else db.reader)()
    return g.db_session


def writes(view):
    """Mark a GET view that changes data (a payment provider's notification), so that its
    transaction is a writing one (BEGIN IMMEDIATE on SQLite) like a POST's."""
    from functools import wraps

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.db_write = True
        return view(*args, **kwargs)

    return wrapper


def ping() -> None:
    """A round trip to the database (the health check); raises if it is unreachable."""
    session().execute(text("SELECT 1"))


def init_app(app: Flask) -> None:
    app.extensions["portal_db"] = Database(app.config["DATABASE_URL"], app.config["SQL_ECHO"])

    @app.after_request
    def _commit(response):
        sess = g.pop("db_session", None)
        if sess is None:
            return response
        try:
            if response.status_code < 500:
                sess.commit()
            else:
                sess.rollback()
        except Exception:
            sess.rollback()
            sess.close()
            raise
        sess.close()
        return response

    @app.teardown_appcontext
    def _cleanup(exc):
        sess = g.pop("db_session", None)
        if sess is not None:
            if exc is not None:
                sess.rollback()
            else:
                # Reached only outside a request (CLI): commit what the command did.
                sess.commit()
            sess.close()
