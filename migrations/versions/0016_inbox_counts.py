"""The inbox at 100,000 dossiers (issue 12, item 4): kept tab counts and an indexed name search.

- inbox_count: dossiers per (receiving office, handling office, status, assignee, deadline
  day), filled here from the dossiers and kept since by services/dossiers/counts.py;
- indexes for today's range of intake due times ("intake overdue") and for an officer's own
  dossiers ("assigned to me");
- the applicant's folded name through an index: a pg_trgm GIN index on PostgreSQL, an FTS5
  trigram table on SQLite kept in sync by triggers. Note for later migrations: rebuilding the
  dossier table on SQLite (batch_alter_table) drops these triggers; create them again after.

Revision ID: 0016_inbox_counts
Revises: 0015_files
"""

from collections import Counter
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "0016_inbox_counts"
down_revision = "0015_files"
branch_labels = None
depends_on = None

# services/dossiers/workflow.py today: PROCESSING_STATUSES and OPEN_STATUSES.
PROCESSING = ("accepted", "in_progress")
OPEN = ("accepted", "in_progress", "payment_requested", "submitted", "supplement_requested")

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE dossier_name_fts USING fts5(applicant_name_search, "
    "content='dossier', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER dossier_name_fts_ai AFTER INSERT ON dossier BEGIN "
    "INSERT INTO dossier_name_fts(rowid, applicant_name_search) "
    "VALUES (new.id, new.applicant_name_search); END",
    "CREATE TRIGGER dossier_name_fts_ad AFTER DELETE ON dossier BEGIN "
    "INSERT INTO dossier_name_fts(dossier_name_fts, rowid, applicant_name_search) "
    "VALUES ('delete', old.id, old.applicant_name_search); END",
    "CREATE TRIGGER dossier_name_fts_au AFTER UPDATE OF applicant_name_search ON dossier BEGIN "
    "INSERT INTO dossier_name_fts(dossier_name_fts, rowid, applicant_name_search) "
    "VALUES ('delete', old.id, old.applicant_name_search); "
    "INSERT INTO dossier_name_fts(rowid, applicant_name_search) "
    "VALUES (new.id, new.applicant_name_search); END",
    "INSERT INTO dossier_name_fts(dossier_name_fts) VALUES ('rebuild')",
]


def _day(moment) -> int:
    if moment is None:
        return 0
    if isinstance(moment, str):  # SQLite without type processing
        from datetime import datetime
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() // 86400)


def _fill_counts(bind) -> None:
    """What services/dossiers/counts.recount does, written out as of this revision."""
    dossier = sa.table("dossier", *(sa.column(c) for c in (
        "status", "receiving_office_id", "handling_office_id", "assignee_id",
        "intake_due_at", "due_at")))
    counts: Counter = Counter()
    for status, rec, hand, assignee, intake, due in bind.execute(
            sa.select(*dossier.c).where(dossier.c.status != "draft")):
        day = _day(intake) if status == "submitted" else _day(due) if status in PROCESSING \
            else 0
        counts[(rec or 0, hand or 0, status, (assignee or 0) if status in OPEN else 0,
                day)] += 1
    table = sa.table("inbox_count", *(sa.column(c) for c in (
        "receiving_office_id", "handling_office_id", "status", "assignee_id", "day", "n")))
    rows = [dict(zip(("receiving_office_id", "handling_office_id", "status", "assignee_id",
                      "day"), k, strict=True), n=n) for k, n in sorted(counts.items())]
    if rows:
        bind.execute(table.insert(), rows)


def upgrade() -> None:
    op.create_table(
        "inbox_count",
        sa.Column("receiving_office_id", sa.Integer(), nullable=False),
        sa.Column("handling_office_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("receiving_office_id", "handling_office_id", "status",
                                "assignee_id", "day", name="pk_inbox_count"),
    )
    op.create_index("ix_dossier_office_status_intake", "dossier",
                    ["receiving_office_id", "status", "intake_due_at"])
    op.create_index("ix_dossier_assignee_status_due", "dossier",
                    ["assignee_id", "status", "due_at", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_dossier_name_trgm ON dossier "
                   "USING gin (applicant_name_search gin_trgm_ops)")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)
    _fill_counts(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_dossier_name_trgm")
    else:
        for name in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS dossier_name_fts_{name}")
        op.execute("DROP TABLE IF EXISTS dossier_name_fts")
    op.drop_index("ix_dossier_assignee_status_due", table_name="dossier")
    op.drop_index("ix_dossier_office_status_intake", table_name="dossier")
    op.drop_table("inbox_count")
