"""A pause never erases lateness, and a pause in time keeps the remaining working time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from district_portal.models import User
from district_portal.services.dossiers.workflow import Action, perform
from tests.factories import create_dossier

# Wednesday 4 March 2026 09:00 in Hà Nội (02:00 UTC): an ordinary working day.
WED_0900 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def _clerk(session):
    return session.scalar(select(User).where(User.email == "clerk@demo.test"))


def test_a_supplement_request_on_an_overdue_dossier_keeps_it_overdue(app, db_session):
    clerk = _clerk(db_session)
    due = WED_0900 - timedelta(days=2)
    d = create_dossier(db_session, status="in_progress", due_at=due)
    perform(db_session, d, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu giấy tờ",
            now=WED_0900)
    assert d.remaining_seconds is None
    perform(db_session, d, Action.SUPPLEMENT, clerk, changes=["document:x"],
            now=WED_0900 + timedelta(days=7))
    assert d.due_at == due  # still late by the same amount, not due "now"


def test_a_pause_in_time_moves_the_due_time_by_the_pause(app, db_session):
    clerk = _clerk(db_session)
    due = WED_0900 + timedelta(days=1)  # Thursday 09:00: one working day left
    d = create_dossier(db_session, status="in_progress", due_at=due)
    perform(db_session, d, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu giấy tờ",
            now=WED_0900)
    assert d.remaining_seconds == 8 * 3600  # one working day of 07:00–11:30, 13:30–17:00
    # Resumed the next Monday 09:00 (9 March): one working day left → Tuesday 09:00.
    perform(db_session, d, Action.SUPPLEMENT, clerk, changes=["document:x"],
            now=datetime(2026, 3, 9, 2, 0, tzinfo=UTC))
    assert d.due_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
