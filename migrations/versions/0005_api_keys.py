"""API keys for other systems, webhooks, the outbox row's webhook, and the changes feed's
(at, id) index on dossier events.

Revision ID: 0005_api_keys
Revises: 0004_calendar_day_unique
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0005_api_keys"
down_revision = "0004_calendar_day_unique"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossier_event_at_id", "dossier_event", ["at", "id"], unique=False)
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", JSONType, nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"],
                                name=op.f("fk_api_key_office_id_office")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_api_key_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"],
                                name=op.f("fk_webhook_api_key_id_api_key")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"],
                                name=op.f("fk_webhook_office_id_office")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_webhook_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
        sa.UniqueConstraint("public_id", name=op.f("uq_webhook_public_id")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_notification_webhook_id_webhook"), "webhook",
                                    ["webhook_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_notification_webhook_id_webhook"), type_="foreignkey")
        batch_op.drop_column("webhook_id")
    op.drop_table("webhook")
    op.drop_table("api_key")
    op.drop_index("ix_dossier_event_at_id", table_name="dossier_event")
