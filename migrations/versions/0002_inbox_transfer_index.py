"""Index for the inbox's dossiers handled by an office but received by another.

Revision ID: 0002_inbox_transfer_index
Revises: 0001_initial
"""

from alembic import op

revision = "0002_inbox_transfer_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_handling_status_receiving",
                              ["handling_office_id", "status", "receiving_office_id", "due_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_handling_status_receiving")
