"""Payments (online and at the desk), the e-receipt counter and the sandbox gateway's record.

Revision ID: 0006_payments
Revises: 0005_api_keys
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_payments"
down_revision = "0005_api_keys"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ONE_PENDING = sa.text("state = 'pending'")
REAL_TXN_NO = sa.text("provider_txn_no IS NOT NULL AND provider_txn_no <> '0'")


def upgrade() -> None:
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("txn_ref", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("provider_txn_no", sa.String(length=40), nullable=True),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("receipt_office_id", sa.Integer(), nullable=True),
        sa.Column("receipt_year", sa.Integer(), nullable=True),
        sa.Column("receipt_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"],
                                name=op.f("fk_payment_dossier_id_dossier")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_payment_recorded_by_id_user_account")),
        sa.ForeignKeyConstraint(["receipt_office_id"], ["office.id"],
                                name=op.f("fk_payment_receipt_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("public_id", name=op.f("uq_payment_public_id")),
        sa.UniqueConstraint("txn_ref", name=op.f("uq_payment_txn_ref")),
        sa.UniqueConstraint("receipt_office_id", "receipt_year", "receipt_number",
                            name="uq_payment_receipt"),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_index("ix_payment_state_created", ["state", "created_at"], unique=False)
        batch_op.create_index("uq_payment_one_pending", ["dossier_id"], unique=True,
                              sqlite_where=ONE_PENDING, postgresql_where=ONE_PENDING)
        batch_op.create_index("uq_payment_provider_txn_no", ["provider", "provider_txn_no"],
                              unique=True, sqlite_where=REAL_TXN_NO,
                              postgresql_where=REAL_TXN_NO)
    op.create_table(
        "receipt_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"],
                                name=op.f("fk_receipt_counter_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_counter")),
        sa.UniqueConstraint("office_id", "year", name=op.f("uq_receipt_counter_office_id")),
    )
    op.create_table(
        "sandbox_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txn_ref", sa.String(length=100), nullable=False),
        sa.Column("transaction_no", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("ipn", JSON, nullable=False),
        sa.Column("return_url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_transaction")),
        sa.UniqueConstraint("txn_ref", name=op.f("uq_sandbox_transaction_txn_ref")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_transaction")
    op.drop_table("receipt_counter")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("uq_payment_provider_txn_no")
        batch_op.drop_index("uq_payment_one_pending")
        batch_op.drop_index("ix_payment_state_created")
        batch_op.drop_index(batch_op.f("ix_payment_dossier_id"))
    op.drop_table("payment")
