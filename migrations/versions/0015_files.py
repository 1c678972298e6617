"""Attachments by stored file: removing a file and `portal purge` ask whether any row still
names a stored file (its SHA-256) before deleting it.

Revision ID: 0015_files
Revises: 0014_register_numbers
"""

from alembic import op

revision = "0015_files"
down_revision = "0014_register_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_attachment_stored_name", "attachment", ["stored_name"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_attachment_stored_name", table_name="attachment")
