"""The admin console (issue 13): the append-only audit log and the deciding document of a
level change.

- audit_entry: who, when, what, before and after; UPDATE and DELETE refused by triggers on
  both engines (the ORM refuses them too, models/audit.py);
- procedure_draft: an admin's unsaved changes to a procedure (the form builder);
- procedure_level_change.decision_no / decision_date: the province decision that changed a
  procedure's online level.

Revision ID: 0017_admin_audit
Revises: 0016_inbox_counts
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_admin_audit"
down_revision = "0016_inbox_counts"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry BEGIN "
    "SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry BEGIN "
    "SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
PG_TRIGGERS = [
    "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()",
]


def upgrade() -> None:
    json = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("actor_name", sa.String(300), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target_kind", sa.String(40), nullable=False),
        sa.Column("target_ref", sa.String(200), nullable=False),
        sa.Column("office_id", sa.Integer, sa.ForeignKey("office.id"), nullable=True),
        sa.Column("before", json, nullable=True),
        sa.Column("after", json, nullable=True),
        sa.Column("note", sa.String(1000), nullable=False),
    )
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])
    op.create_index("ix_audit_entry_target", "audit_entry", ["target_kind", "target_ref"])
    op.create_index("ix_audit_entry_actor_id", "audit_entry", ["actor_id"])
    op.create_index("ix_audit_entry_action", "audit_entry", ["action"])
    op.create_index("ix_audit_entry_office_id", "audit_entry", ["office_id"])
    bind = op.get_bind()
    for statement in PG_TRIGGERS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)
    op.create_table(
        "procedure_draft",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("procedure_id", sa.Integer, sa.ForeignKey("procedure.id"), nullable=False,
                  unique=True),
        sa.Column("data", json, nullable=False),
        sa.Column("base_version_id", sa.Integer, sa.ForeignKey("procedure_version.id"),
                  nullable=True),
        sa.Column("updated_by_id", sa.Integer, sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("procedure_level_change") as batch:
        batch.add_column(sa.Column("decision_no", sa.String(100), nullable=True))
        batch.add_column(sa.Column("decision_date", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("procedure_level_change") as batch:
        batch.drop_column("decision_date")
        batch.drop_column("decision_no")
    op.drop_table("procedure_draft")
    bind = op.get_bind()
    op.drop_table("audit_entry")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_entry_append_only()")
