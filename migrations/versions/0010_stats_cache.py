"""Computed statistics kept with the data version they were computed for and their "as of"
time, so /stats and /api/v1/stats are served by one indexed lookup while nothing changed.

Revision ID: 0010_stats_cache
Revises: 0009_phone_unique_when_confirmed
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0010_stats_cache"
down_revision = "0009_phone_unique_when_confirmed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("office_code", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("data_version", sa.String(length=200), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_cache")),
        sa.UniqueConstraint("period_start", "period_end", "office_code", "target",
                            name=op.f("uq_stats_cache_key")),
    )
    op.create_index(op.f("ix_stats_cache_computed_at"), "stats_cache", ["computed_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stats_cache_computed_at"), table_name="stats_cache")
    op.drop_table("stats_cache")
