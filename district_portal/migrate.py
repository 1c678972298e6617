"""Alembic, driven from code: `portal db-upgrade` and the migration tests use these."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from district_portal.config import ROOT


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
