"""The inbox's walk reads a name from the index (issue 12, item 4).

ix_dossier_office_status_due gets the folded applicant name and the tracking code after its
(receiving office, status, due time, id) key. A name search that is frequent in the office
walks the tab in page order through this index and checks each dossier's name there: both
engines then read the index alone (PostgreSQL: an index-only scan) instead of one table row
per dossier walked. Made with op.create_index, not a batch: on SQLite a batch rebuilds the
table, which would drop the FTS triggers of 0016.

Revision ID: 0019_inbox_walk
Revises: 0018_perf
"""

from alembic import op

revision = "0019_inbox_walk"
down_revision = "0018_perf"
branch_labels = None
depends_on = None

KEY = ["receiving_office_id", "status", "due_at", "id"]


def upgrade() -> None:
    op.drop_index("ix_dossier_office_status_due", table_name="dossier")
    op.create_index("ix_dossier_office_status_due", "dossier",
                    [*KEY, "applicant_name_search", "ref"])


def downgrade() -> None:
    op.drop_index("ix_dossier_office_status_due", table_name="dossier")
    op.create_index("ix_dossier_office_status_due", "dossier", KEY)
