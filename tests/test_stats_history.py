"""The catalogue by level as of any past instant, rebuilt from ProcedureLevelChange, and the
filters a statistic accepts."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from district_portal.models import Procedure, ProcedureLevelChange
from district_portal.services import stats
from district_portal.services.catalog.importer import demo_catalog_path, import_catalog
from district_portal.services.stats.catalogue import LevelCounts
from district_portal.text import LOCAL_TZ


def _at(y, m, d):
    return datetime(y, m, d, 12, tzinfo=LOCAL_TZ)


def _make_ready(entry: dict) -> None:
    """What a province changes with a procedure it raises to fully online: the fee paid
    online, the result sent by post, no step in person (the importer refuses it otherwise)."""
    entry["steps"] = [s["text"] if isinstance(s, dict) else s for s in entry.get("steps", [])]
    entry["result"] = {**entry.get("result", {}), "by_post": True}
    if isinstance(entry.get("fee"), dict):
        entry["fee"] = {**entry["fee"], "online_payment": True}


def _reimport(session, when, change):
    """Import the demo catalogue with `change` applied, then date its level changes `when`."""
    doc = json.loads(demo_catalog_path().read_text("utf-8"))
    for p in doc["procedures"]:
        p.update(change.get(p["code"], {}))
        if change.get(p["code"], {}).get("online_level") == "full":
            _make_ready(p)
    extra = change.get("new")
    if extra:
        doc["procedures"].append(extra)
    before = session.scalar(select(ProcedureLevelChange.id).order_by(
        ProcedureLevelChange.id.desc()).limit(1))
    import_catalog(session, doc, reason="test")
    session.execute(update(ProcedureLevelChange).where(ProcedureLevelChange.id > before)
                    .values(changed_at=when.astimezone(UTC)))
    return doc


@pytest.fixture
def history(app, db_session):
    """The demo catalogue first imported in June 2019; 1.000894 fully online from March
    2020; 2.000815 from January 2021; a new procedure (partial) from June 2021."""
    db_session.execute(update(ProcedureLevelChange).values(changed_at=datetime(2019, 6, 1,
                                                                               tzinfo=UTC)))
    doc = _reimport(db_session, _at(2020, 3, 1), {"1.000894": {"online_level": "full"}})
    new = copy.deepcopy(next(p for p in doc["procedures"] if p["code"] == "2.000815"))
    new.update(code="9.000001", name="Thủ tục mới")
    _reimport(db_session, _at(2021, 1, 1), {"1.000894": {"online_level": "full"},
                                            "2.000815": {"online_level": "full"}})
    _reimport(db_session, _at(2021, 6, 1), {"1.000894": {"online_level": "full"},
                                            "2.000815": {"online_level": "full"},
                                            "new": {**new, "online_level": "partial"}})
    return db_session


def test_the_catalogue_of_a_past_date_has_one_answer(history):
    s = history
    assert stats.level_counts_as_of(s, _at(2019, 1, 1)) == LevelCounts()
    assert stats.level_counts_as_of(s, _at(2020, 2, 20)) == LevelCounts(3, 3, 1)
    assert stats.level_counts_as_of(s, _at(2020, 6, 1)) == LevelCounts(4, 2, 1)
    assert stats.level_counts_as_of(s, _at(2021, 3, 1)) == LevelCounts(5, 1, 1)
    assert stats.level_counts_as_of(s, _at(2021, 7, 1)) == LevelCounts(5, 2, 1)
    # Today's catalogue is the replay of every change up to now.
    now = datetime.now(UTC)
    assert stats.level_counts_as_of(s, now) == stats.level_counts(s) == LevelCounts(5, 2, 1)


def test_a_past_period_shows_the_catalogue_as_it_stood_at_its_end(history):
    year_2020 = stats.parse_period("01/01/2020", "31/12/2020")
    st = stats.compute(history, year_2020)
    assert st.levels == LevelCounts(4, 2, 1)
    assert st.to_dict()["online_service"]["full_online_share"] == round(4 / 6, 4)
    assert stats.compute(history, stats.parse_period("2020-01-01", "2020-02-20")).levels == \
        LevelCounts(3, 3, 1)


def test_an_unchanged_reimport_records_no_level_change(app, db_session):
    before = db_session.scalar(select(ProcedureLevelChange.id).order_by(
        ProcedureLevelChange.id.desc()).limit(1))
    import_catalog(db_session, json.loads(demo_catalog_path().read_text("utf-8")))
    after = db_session.scalar(select(ProcedureLevelChange.id).order_by(
        ProcedureLevelChange.id.desc()).limit(1))
    assert before == after
    first = db_session.scalars(select(ProcedureLevelChange).join(Procedure).where(
        Procedure.code == "1.001193")).all()
    assert [c.old_level for c in first] == [None]  # the first import records old_level None


@pytest.mark.parametrize(("start", "end", "message", "field"), [
    ("31/02/2026", "", "Ngày này không tồn tại", "start"),
    ("2026-13-01", "", "Ngày này không tồn tại", "start"),
    ("hôm qua", "", "dd/mm/yyyy", "start"),
    ("01/03/2026", "01/02/2026", "Ngày kết thúc trước ngày bắt đầu", "end"),
    ("01/01/2020", "01/01/2025", "tối đa 5 năm", "start"),
])
def test_impossible_filters_are_refused_in_vietnamese(app, start, end, message, field):
    with app.test_request_context():
        with pytest.raises(stats.StatsError) as err:
            stats.parse_period(start, end, today=date(2026, 3, 20))
        assert message in str(err.value.message)
    assert err.value.status == 400 and err.value.field == field


def test_a_five_year_period_and_the_defaults_are_accepted():
    assert stats.parse_period("01/01/2020", "31/12/2024") == stats.Period(
        date(2020, 1, 1), date(2024, 12, 31))
    assert stats.parse_period("", "", today=date(2026, 3, 20)) == stats.Period(
        date(2026, 1, 1), date(2026, 3, 20))
    assert stats.parse_period(None, "2025-06-30") == stats.Period(date(2025, 1, 1),
                                                                  date(2025, 6, 30))


def test_an_unknown_office_is_refused(app, db_session):
    with app.test_request_context():
        with pytest.raises(stats.StatsError) as err:
            stats.find_office(db_session, "999.99.99.X00")
        assert str(err.value.message) == "Không có cơ quan nào có mã 999.99.99.X00."
    assert err.value.field == "office"
    assert stats.find_office(db_session, "  ") is None
