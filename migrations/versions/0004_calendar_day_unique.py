"""A day off or make-up day for every office (office_id NULL) exists at most once per date:
NULL escapes the (office_id, day) unique constraint, so a partial unique index covers it.
Duplicates already stored are reduced to the latest entry first.

Revision ID: 0004_calendar_day_unique
Revises: 0003_inbox_index_id
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_calendar_day_unique"
down_revision = "0003_inbox_index_id"
branch_labels = None
depends_on = None

NAME = "uq_calendar_day_every_office"
WHERE = "office_id IS NULL"


def upgrade() -> None:
    op.execute(
        "DELETE FROM calendar_day WHERE office_id IS NULL AND id NOT IN "
        "(SELECT keep FROM (SELECT MAX(id) AS keep FROM calendar_day "
        "WHERE office_id IS NULL GROUP BY day) AS latest)"
    )
    op.create_index(NAME, "calendar_day", ["day"], unique=True,
                    sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index(NAME, table_name="calendar_day")
