"""Register numbers of issued results (số vào sổ) per office, procedure and year, and the
staff member's position printed under a signature.

Revision ID: 0014_register_numbers
Revises: 0013_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_register_numbers"
down_revision = "0013_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_register",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"],
                                name=op.f("fk_result_register_office_id_office")),
        sa.ForeignKeyConstraint(["procedure_id"], ["procedure.id"],
                                name=op.f("fk_result_register_procedure_id_procedure")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_register")),
        sa.UniqueConstraint("office_id", "procedure_id", "year",
                            name=op.f("uq_result_register_office_id")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_title", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("job_title")
    op.drop_table("result_register")
