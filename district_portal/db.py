"""Engine, sessions and the one-transaction-per-request rule.

Services flush, never commit. `commit_after_request` commits once after a request that did
not fail (any status below 500) and in which no service refused (no ServiceError was raised,
whether or not the view caught it); it rolls back otherwise. On SQLite, a request that writes
(any method but GET/HEAD/OPTIONS) opens its transaction with BEGIN IMMEDIATE so it waits for
the write lock instead of failing half-way (SQLAlchemy's pysqlite recipe).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from district_portal.services import errors

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# serialization_failure, deadlock_detected, lock_not_available
CONFLICT_SQLSTATES = {"40001", "40P01", "55P03"}


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


def ping() -> bool:
    """A round trip to the database (the health check): False, logged, if it cannot be
    reached."""
    try:
        session().execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        current_app.logger.error("database unreachable: %s", exc)
        return False
    return True


def is_concurrent_change(exc: BaseException) -> bool:
    """Whether a database error means another request changed the same rows first: a stale
    version counter, or a serialization failure, deadlock or lock time-out (PostgreSQL
    SQLSTATE 40001, 40P01, 55P03; SQLite "database is locked")."""
    if isinstance(exc, StaleDataError):
        return True
    if not isinstance(exc, OperationalError | DBAPIError) or isinstance(exc, IntegrityError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return sqlstate in CONFLICT_SQLSTATES or "database is locked" in str(exc.orig)


def is_unique_violation(exc: BaseException) -> bool:
    """An INSERT or UPDATE that lost a race for a unique value (SQLSTATE 23505)."""
    if not isinstance(exc, IntegrityError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(exc.orig)


def finish(sess: Session, *, commit: bool) -> None:
    """End a request's transaction: commit it, or roll it back; the session is closed."""
    try:
        if commit:
            sess.commit()
        else:
            sess.rollback()
    except BaseException:
        sess.rollback()
        raise
    finally:
        sess.close()


def writes(view):
    """Mark a GET view that changes data (a payment provider's notification), so that its
    transaction is a writing one (BEGIN IMMEDIATE on SQLite) like a POST's."""
    from functools import wraps

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.db_write = True
        return view(*args, **kwargs)

    return wrapper




def init_app(app: Flask) -> None:
    """The engine, and the app-context teardown that ends a CLI command's transaction."""
    app.extensions["portal_db"] = Database(app.config["DATABASE_URL"], app.config["SQL_ECHO"])

    @app.teardown_appcontext
    def _cleanup(exc):
        sess = g.pop("db_session", None)
        if sess is not None:
            # Reached for a request only if it ended with an unhandled error; otherwise
            # outside a request (CLI): commit what the command did unless it was refused.
            finish(sess, commit=exc is None and not errors.refused())
        errors.clear_refusal()


def commit_after_request(app: Flask, on_conflict: Callable[[], object]) -> None:
    """One commit per request. Register it after every other after_request hook, so it runs
    first and a page replacing a failed commit still gets headers and compression.

    Commits when the response is below 500 and no ServiceError was raised during the request
    (caught by a view or not); rolls back otherwise. A commit that loses a race with another
    request is rolled back and answered with `on_conflict()` (the 409 page)."""

    @app.after_request
    def _commit(response):
        sess = g.pop("db_session", None)
        refused = errors.refused()
        errors.clear_refusal()
        if sess is None:
            return response
        try:
            if response.status_code < 500 and not refused:
                sess.commit()
            else:
                sess.rollback()
        except Exception as exc:
            sess.rollback()
            if not (is_concurrent_change(exc) or is_unique_violation(exc)):
                sess.close()
                raise
            current_app.logger.info("commit lost a race: %s", exc)
            # The 409 page reloads what it shows (the user) through this session; the
            # teardown closes it, rolled back.
            g.db_session = sess
            errors.mark_refused()
            return current_app.make_response(on_conflict())
        sess.close()
        return response
