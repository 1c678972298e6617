"""Alembic environment: migrations run against the URL given by district_portal.migrate."""

from alembic import context
from sqlalchemy import text

import district_portal.models  # noqa: F401  (registers every table)
from district_portal.db import make_engine
from district_portal.models import Base

config = context.config
target_metadata = Base.metadata
# Several servers may start (and migrate) at once: on PostgreSQL the second waits for the
# first's transaction, then finds nothing left to do.
MIGRATION_LOCK = 0x706F7274  # "port", an arbitrary constant of this application


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK})
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
