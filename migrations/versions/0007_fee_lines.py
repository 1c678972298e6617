"""Fee lines worked out at submission (dossier.fee_lines) and the office's postage.

Revision ID: 0007_fee_lines
Revises: 0006_payments
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_fee_lines"
down_revision = "0006_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "fee_lines", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True))
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.add_column(sa.Column("postage", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.drop_column("postage")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("fee_lines")
