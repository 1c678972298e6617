"""The inbox's (office, status, due_at) indexes end with id, so that a page of dossiers that
have no due time yet (ordered by id) is an index range on PostgreSQL too.

Revision ID: 0003_inbox_index_id
Revises: 0002_inbox_transfer_index
"""

from alembic import op

revision = "0003_inbox_index_id"
down_revision = "0002_inbox_transfer_index"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_dossier_office_status_due": "receiving_office_id",
    "ix_dossier_handling_status_due": "handling_office_id",
}


def _rebuild(with_id: bool) -> None:
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        for name, office_column in INDEXES.items():
            batch_op.drop_index(name)
            columns = [office_column, "status", "due_at"] + (["id"] if with_id else [])
            batch_op.create_index(name, columns, unique=False)


def upgrade() -> None:
    _rebuild(with_id=True)


def downgrade() -> None:
    _rebuild(with_id=False)
