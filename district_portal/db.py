"""Engine, sessions and the one-transaction-per-request rule.

Services flush, never commit. `commit_after_request` commits once after a request that did
not fail (any status below 500) and in which no service refused (no ServiceError was raised,
whether or not the view caught it); it rolls back otherwise. On SQLite, a request that writes
(any method but GET/HEAD/OPTIONS, except the read-only POSTs in READ_ONLY_ENDPOINTS) opens its
transaction with BEGIN IMMEDIATE so it waits for the write lock instead of failing half-way
(SQLAlchemy's pysqlite recipe); a read-only request never takes that lock.

Every connection has a connect timeout and a statement timeout (PostgreSQL: connect_timeout
and statement_timeout; SQLite: the busy timeout), so a stalled or locked database makes a
request fail in seconds with the "temporarily unavailable" page instead of hanging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from district_portal.services import errors

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# POSTs that only read (a look-up form, a file checked against the register): they must not
# queue for SQLite's write lock behind every filing.
READ_ONLY_ENDPOINTS = frozenset({"filing.track", "documents.verify"})
# GETs that write (the admin console records each view of a resident's data and each
# export of the catalogue in the audit log): their transaction is a writing one from the
# start (BEGIN IMMEDIATE on SQLite), as a POST's, since the session opens before the view
# runs (the logged-in user is loaded first).
WRITING_GET_ENDPOINTS = frozenset({"admin.residents", "admin.resident",
                                   "admin.catalogue_export"})
# serialization_failure, deadlock_detected, lock_not_available
CONFLICT_SQLSTATES = {"40001", "40P01", "55P03"}
# The database cannot serve now: connection failures (08…), insufficient resources (53…:
# disk full, out of memory, too many connections), a statement cancelled by its timeout,
# the server shutting down (57P0…), a read-only transaction or a system I/O error (58…).
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57014", "57P", "25006", "58")
SQLITE_UNAVAILABLE = ("database or disk is full", "readonly database", "unable to open",
                      "disk i/o error", "database is locked")
DEFAULT_CONNECT_TIMEOUT = 5  # seconds
DEFAULT_STATEMENT_TIMEOUT = 30  # seconds


def make_engine(url: str, echo: bool = False, *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT) -> Engine:
    """Create an engine. SQLite gets WAL, FULL sync, foreign keys and a busy timeout of
    `statement_timeout`; PostgreSQL a connect timeout, a server-side statement timeout, a
    pool that waits at most `connect_timeout` for a free connection and checks each pooled
    connection before use (so the app recovers by itself after a database restart)."""
    kwargs: dict = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": statement_timeout}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
    else:
        # Enough connections for waitress's threads plus a few CLI/background users.
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20,
                      pool_timeout=connect_timeout)
        if url.startswith("postgresql"):
            kwargs["connect_args"] = {
                "connect_timeout": max(1, round(connect_timeout)),
                "options": f"-c statement_timeout={round(statement_timeout * 1000)}",
            }
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, statement_timeout)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling is broken).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("sqlite_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class Database:
    """Holds one app's engine and session factory; the session lives on flask.g."""

    def __init__(self, url: str, echo: bool = False, **timeouts) -> None:
        self.engine = make_engine(url, echo, **timeouts)
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
            write = g.get("db_write", False) or request.endpoint in WRITING_GET_ENDPOINTS \
                or (request.method not in SAFE_METHODS
                    and request.endpoint not in READ_ONLY_ENDPOINTS)
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
    version counter, or a serialization failure, deadlock or row lock not available
    (PostgreSQL SQLSTATE 40001, 40P01, 55P03). SQLite's "database is locked" after the busy
    timeout is no such race: the whole database was busy (`is_unavailable`, 503)."""
    if isinstance(exc, StaleDataError):
        return True
    if not isinstance(exc, OperationalError | DBAPIError) or isinstance(exc, IntegrityError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return sqlstate in CONFLICT_SQLSTATES


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database (or the disk under it) cannot serve right now:
    down, unreachable, full, read-only, or too slow (statement or lock timeout). Such a
    request answers the 503 "temporarily unavailable" page; the fault is not the user's."""
    if isinstance(exc, PoolTimeout) or (
            isinstance(exc, DBAPIError) and getattr(exc, "connection_invalidated", False)):
        return True
    if not isinstance(exc, OperationalError | DBAPIError) or isinstance(exc, IntegrityError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate:
        return sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
    message = str(exc.orig).lower()
    return isinstance(exc, OperationalError) and (
        any(m in message for m in SQLITE_UNAVAILABLE) or "connect" in message
        or "server closed" in message or "timeout" in message)


def rollback_request() -> None:
    """Roll the request's transaction back before an error page renders, so the page never
    flushes half a change nor reads through an aborted transaction. If even that fails (the
    database is gone), the session is closed and its connection discarded."""
    sess = g.get("db_session")
    if sess is None:
        return
    try:
        sess.rollback()
    except Exception as exc:  # the connection died with the database: drop it
        current_app.logger.warning("rollback failed: %s", exc)
        try:
            sess.invalidate()
        except Exception:  # nosec B110 — nothing more to release; the pool replaces it
            pass
        g.pop("db_session", None)
        sess.close()


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
    app.extensions["portal_db"] = Database(
        app.config["DATABASE_URL"], app.config["SQL_ECHO"],
        connect_timeout=app.config.get("DB_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
        statement_timeout=app.config.get("DB_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT))

    @app.teardown_appcontext
    def _cleanup(exc):
        sess = g.pop("db_session", None)
        if sess is not None:
            # Reached for a request only if it ended with an unhandled error; otherwise
            # outside a request (CLI): commit what the command did unless it was refused.
            finish(sess, commit=exc is None and not errors.refused())
        errors.clear_refusal()


def commit_after_request(app: Flask, on_conflict: Callable[[], object],
                         on_failure: Callable[[BaseException], object]) -> None:
    """One commit per request. Register it after every other after_request hook, so it runs
    first and a page replacing a failed commit still gets headers and compression.

    Commits when the response is below 500 and no ServiceError was raised during the request
    (caught by a view or not); rolls back otherwise. A commit that loses a race with another
    request is rolled back and answered with `on_conflict()` (the 409 page); any other failure
    to commit (database down, disk full or read-only) is rolled back and answered with
    `on_failure(exc)` (the 503 or 500 page), never the server's raw error."""

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
            g.db_session = sess
            rollback_request()
            if not (is_concurrent_change(exc) or is_unique_violation(exc)) \
                    or is_unavailable(exc):
                errors.mark_refused()
                return current_app.make_response(on_failure(exc))
            current_app.logger.info("commit lost a race: %s", exc)
            # The 409 page reloads what it shows (the user) through this session; the
            # teardown closes it, rolled back.
            g.db_session = sess
            errors.mark_refused()
            return current_app.make_response(on_conflict())
        sess.close()
        return response
