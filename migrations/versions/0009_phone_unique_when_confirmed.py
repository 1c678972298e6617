"""A phone number is unique only among confirmed phones: an unconfirmed registration can no
longer squat a number, and whoever confirms it first owns it.

Revision ID: 0009_phone_unique_when_confirmed
Revises: 0008_stats_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_phone_unique_when_confirmed"
down_revision = "0008_stats_indexes"
branch_labels = None
depends_on = None

CONFIRMED = sa.text("phone_verified_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint("uq_user_account_phone", type_="unique")
        batch_op.create_index("ix_user_account_phone", ["phone"], unique=False)
    op.create_index("uq_user_account_phone_confirmed", "user_account", ["phone"], unique=True,
                    sqlite_where=CONFIRMED, postgresql_where=CONFIRMED)


def downgrade() -> None:
    op.drop_index("uq_user_account_phone_confirmed", table_name="user_account")
    # Unconfirmed duplicates cannot survive the old constraint: the older claims lose the number.
    op.execute(sa.text(
        "UPDATE user_account SET phone = NULL WHERE phone_verified_at IS NULL AND EXISTS ("
        "SELECT 1 FROM user_account AS other WHERE other.phone = user_account.phone "
        "AND other.id <> user_account.id AND (other.phone_verified_at IS NOT NULL "
        "OR other.id > user_account.id))"))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index("ix_user_account_phone")
        batch_op.create_unique_constraint("uq_user_account_phone", ["phone"])
