"""Inbox at 100,000 dossiers, the rest (issue 12, item 4): the leader's "waiting for issue"
comes from the kept counts too.

inbox_count gets a sixth key column, `result`: 1 for a dossier being processed whose result is
prepared (it has its verification token: documents/issuing.py gives it when the result is
prepared). A partial index holds the few dossiers with a prepared result, for the leader's
tab itself. The table is made again with the new key and filled from the dossiers, as
services/dossiers/counts.recount does. Dossiers prepared before the token was given at
preparation get one here, so that the token means "result prepared" for every dossier. The
dossier table itself is not rebuilt (on SQLite that would drop the FTS triggers of 0016).

Revision ID: 0018_perf
Revises: 0017_admin_audit
"""

import secrets
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0018_perf"
down_revision = "0017_admin_audit"
branch_labels = None
depends_on = None

# services/dossiers/workflow.py today: PROCESSING_STATUSES and OPEN_STATUSES.
PROCESSING = ("accepted", "in_progress")
OPEN = ("accepted", "in_progress", "payment_requested", "submitted", "supplement_requested")
KEY = ("receiving_office_id", "handling_office_id", "status", "assignee_id", "day")


def _day(moment) -> int:
    if moment is None:
        return 0
    if isinstance(moment, str):  # SQLite without type processing
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() // 86400)


def _give_tokens(bind) -> None:
    """A verification token for every dossier in processing with a prepared result (a
    result attachment) and none yet."""
    rows = bind.execute(sa.text(
        "SELECT id FROM dossier WHERE verification_token IS NULL AND status IN "
        "('accepted', 'in_progress') AND EXISTS (SELECT 1 FROM attachment a WHERE "
        "a.dossier_id = dossier.id AND a.kind = 'result')")).scalars().all()
    for dossier_id in rows:
        bind.execute(sa.text("UPDATE dossier SET verification_token = :t WHERE id = :i"),
                     {"t": secrets.token_urlsafe(16), "i": dossier_id})


def _create(with_result: bool) -> None:
    columns = [sa.Column(name, sa.String(30) if name == "status" else sa.Integer(),
                         nullable=False) for name in KEY]
    key = list(KEY)
    if with_result:
        columns.append(sa.Column("result", sa.Integer(), nullable=False, server_default="0"))
        key.append("result")
    op.create_table("inbox_count", *columns,
                    sa.Column("n", sa.BigInteger(), nullable=False, server_default="0"),
                    sa.PrimaryKeyConstraint(*key, name="pk_inbox_count"))


def _fill(bind, with_result: bool) -> None:
    dossier = sa.table("dossier", *(sa.column(c) for c in (
        "status", "receiving_office_id", "handling_office_id", "assignee_id",
        "intake_due_at", "due_at", "verification_token")))
    counts: Counter = Counter()
    for status, rec, hand, assignee, intake, due, token in bind.execute(
            sa.select(*dossier.c).where(dossier.c.status != "draft")):
        day = _day(intake) if status == "submitted" else _day(due) if status in PROCESSING \
            else 0
        key = (rec or 0, hand or 0, status, (assignee or 0) if status in OPEN else 0, day)
        if with_result:
            key += (int(status in PROCESSING and token is not None),)
        counts[key] += 1
    names = [*KEY, "result"] if with_result else list(KEY)
    table = sa.table("inbox_count", *(sa.column(c) for c in (*names, "n")))
    rows = [dict(zip(names, k, strict=True), n=n) for k, n in sorted(counts.items())]
    if rows:
        bind.execute(table.insert(), rows)


def upgrade() -> None:
    bind = op.get_bind()
    _give_tokens(bind)
    where = sa.text("verification_token IS NOT NULL")
    op.create_index("ix_dossier_to_issue", "dossier",
                    ["handling_office_id", "status", "receiving_office_id", "due_at", "id"],
                    sqlite_where=where, postgresql_where=where)
    op.drop_table("inbox_count")
    _create(with_result=True)
    _fill(bind, with_result=True)


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_dossier_to_issue", table_name="dossier")
    op.drop_table("inbox_count")
    _create(with_result=False)
    _fill(bind, with_result=False)
