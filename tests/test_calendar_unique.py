"""A day for every office (office_id NULL) exists once per date, on both engines: the unique
index of migration 0004 and the deduplication of rows stored before it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from district_portal.db import make_engine
from district_portal.migrate import downgrade, upgrade
from district_portal.models import CalendarDay
from district_portal.services.calendar import days

DAY = date(2026, 12, 31)


def test_the_database_refuses_a_second_every_office_entry_for_one_date(databases):
    url = databases.new_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO calendar_day (office_id, day, kind, note) "
                              "VALUES (NULL, :d, 'off', 'một')"), {"d": DAY})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO calendar_day (office_id, day, kind, note) "
                              "VALUES (NULL, :d, 'work', 'hai')"), {"d": DAY})
        with engine.begin() as conn:  # another date is still fine
            conn.execute(text("INSERT INTO calendar_day (office_id, day, kind, note) "
                              "VALUES (NULL, :d, 'off', 'ba')"), {"d": date(2027, 1, 1)})
    finally:
        engine.dispose()


def test_migration_0004_keeps_the_latest_of_duplicated_every_office_days(databases):
    url = databases.new_url()
    upgrade(url, "0003_inbox_index_id")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for kind, note in (("off", "cũ"), ("work", "sửa"), ("off", "mới nhất")):
                conn.execute(text("INSERT INTO calendar_day (office_id, day, kind, note) "
                                  "VALUES (NULL, :d, :k, :n)"), {"d": DAY, "k": kind, "n": note})
            conn.execute(text("INSERT INTO calendar_day (office_id, day, kind, note) "
                              "VALUES (NULL, :d, 'off', 'khác')"), {"d": date(2027, 1, 2)})
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT day, kind, note FROM calendar_day "
                                     "ORDER BY day")).all()
        assert [(str(r.day), r.kind, r.note) for r in rows] == [
            ("2026-12-31", "off", "mới nhất"), ("2027-01-02", "off", "khác")]
        downgrade(url, "0003_inbox_index_id")
        upgrade(url)
    finally:
        engine.dispose()


def test_adding_an_every_office_day_twice_changes_the_one_entry(app, session):
    with app.test_request_context():
        days.add_day(session, DAY, "off", None, "Nghỉ bù")
        days.add_day(session, DAY, "work", None, "Làm bù")
    rows = session.scalars(select(CalendarDay).where(CalendarDay.day == DAY)).all()
    assert [(r.office_id, r.kind, r.note) for r in rows] == [(None, "work", "Làm bù")]
