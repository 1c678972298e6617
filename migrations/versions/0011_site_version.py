"""The public data version: one counter row that every change of procedures, offices or
calendar days bumps in the same transaction; the public page cache keys on it.

Revision ID: 0011_site_version
Revises: 0010_stats_cache
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011_site_version"
down_revision = "0010_stats_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "site_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 1, "changed_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("site_version")
