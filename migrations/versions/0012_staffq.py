"""Event notes are internal unless meant for the applicant (issue 11, item 11): a flag on each
event. Notes the applicant was already sent (a refusal's, a supplement request's, a stop's or an
extension's reason) stay readable; every other existing note (a transfer's reason, a note from
the desk) becomes internal.

Revision ID: 0012_staffq
Revises: 0011_site_version
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_staffq"
down_revision = "0011_site_version"
branch_labels = None
depends_on = None

# The actions whose reason is part of the applicant's message (workflow.TRANSITIONS, today).
APPLICANT_NOTES = ("refuse", "request_supplement", "stop", "extend")


def upgrade() -> None:
    with op.batch_alter_table("dossier_event") as batch:
        batch.add_column(sa.Column("note_public", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    event = sa.table("dossier_event", sa.column("action", sa.String),
                     sa.column("note_public", sa.Boolean))
    op.execute(event.update().where(event.c.action.in_(APPLICANT_NOTES))
               .values(note_public=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier_event") as batch:
        batch.drop_column("note_public")
