"""Every statistic of a known dataset, exactly, on the engine under test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from district_portal.models import Office, OnlineLevel
from district_portal.services import stats
from district_portal.services.stats.catalogue import LevelCounts
from tests.factories import OFFICE, OTHER_OFFICE
from tests.stats_data import EXPECTED_MARCH, NOW, build_march

MARCH = stats.Period(datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date())


def _office(session, code):
    return session.scalar(select(Office).where(Office.agency_code == code))


@pytest.fixture
def march(app, db_session):
    return build_march(db_session)


def test_every_figure_of_the_known_month_is_exact(db_session, march):
    data = stats.compute(db_session, MARCH, now=NOW).to_dict()
    progress, online = data["progress"], data["online_service"]
    got = {**progress, **{k: online[k] for k in (
        "received", "received_online", "received_counter", "online_share")}}
    assert got == EXPECTED_MARCH
    assert data["as_of"] == NOW.astimezone(UTC).isoformat()
    assert data["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert data["transparency"]["procedures_by_level"] == {
        "full": 3, "partial": 3, "none": 1, "total": 7}
    assert online["full_online_share"] == 0.5
    assert online["full_online_target"] == 0.3
    assert online["full_online_needed"] == 0
    assert data["online_payment"] == {"online": {"count": 1, "amount": 15000},
                                      "desk": {"count": 1, "amount": 15000},
                                      "online_share": 0.5}
    assert data["satisfaction"] == {"ratings": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 2},
                                    "count": 3, "average": 4.67}


def test_a_transferred_dossier_counts_where_it_was_received_and_where_it_was_decided(
        db_session, march):
    rows = {r.agency_code: r.figures for r in
            stats.compute(db_session, MARCH, now=NOW).by_office}
    here, there = rows[OFFICE], rows[OTHER_OFFICE]
    assert (here.received, here.resolved, here.on_time, here.late) == (15, 7, 5, 2)
    assert (there.received, there.resolved, there.on_time, there.late) == (0, 1, 1, 0)
    assert there.processing_days_total == 3 and there.average_processing_days == 3.0
    assert here.open_overdue == 3 and there.open == 0


def test_an_office_filter_takes_the_offices_below_it(db_session, march):
    province = stats.compute(db_session, MARCH, _office(db_session, "000.00.00.T25"), now=NOW)
    everything = stats.compute(db_session, MARCH, now=NOW)
    assert province.to_dict()["progress"] == everything.to_dict()["progress"]
    tan_hoa = stats.compute(db_session, MARCH, _office(db_session, OTHER_OFFICE), now=NOW)
    t = tan_hoa.totals
    assert (t.received, t.resolved, t.on_time, t.late, t.open) == (0, 1, 1, 0, 0)
    assert tan_hoa.payments == {"online": (0, 0), "desk": (0, 0)}
    assert sum(tan_hoa.ratings.values()) == 0  # rated where it was received
    # Procedures received by UBND xã Lạc Sơn: the one "at the office only" is among them.
    lac_son = stats.compute(db_session, MARCH, _office(db_session, "000.00.06.T25"), now=NOW)
    assert lac_son.levels == LevelCounts(full=3, partial=2, none=1)


def test_per_procedure_rows_split_the_totals(db_session, march):
    st = stats.compute(db_session, MARCH, now=NOW)
    rows = {r.code: r.figures for r in st.by_procedure}
    assert set(rows) == {"1.000894", "1.004873"}
    assert rows["1.004873"].received == 2 and rows["1.004873"].resolved == 1
    assert rows["1.000894"].received == 13 and rows["1.000894"].resolved == 7
    assert rows["1.000894"].processing_days_total == 32
    assert st.by_procedure[0].code == "1.000894"  # most received first


def test_a_period_before_any_dossier_counts_nothing_but_drafts_never_count(db_session, march):
    st = stats.compute(db_session, stats.Period(datetime(2026, 1, 1).date(),
                                                datetime(2026, 1, 31).date()), now=NOW)
    assert st.to_dict()["progress"]["resolved"] == 0
    assert st.totals.received == 0 and st.by_office == [] and st.by_procedure == []
    feb = stats.compute(db_session, stats.Period(datetime(2026, 2, 1).date(),
                                                 datetime(2026, 2, 28).date()), now=NOW)
    assert (feb.totals.received, feb.totals.resolved, feb.totals.open) == (2, 0, 1)


def test_the_gap_to_the_target_is_the_smallest_number_of_procedures():
    levels = LevelCounts(full=3, partial=3, none=1)
    assert levels.gap(0.30) == 0 and levels.gap(0.5) == 0
    assert levels.gap(0.6) == 1  # 4/6 ≥ 0.6 but 3/6 is not
    assert levels.gap(0.7) == 2  # 5/6 ≥ 0.7, 4/6 < 0.7
    assert levels.gap(1.0) == 3
    # The report's province: 116 fully online of 352 + 116 online services.
    province = LevelCounts(full=116, partial=352)
    n = province.gap(0.30)
    assert (116 + n) / 468 >= 0.30 > (116 + n - 1) / 468
    assert n == 25
    assert LevelCounts(full=3, partial=7).gap(0.30) == 0  # exactly 30%: no float slip
    assert LevelCounts().gap(0.30) == 0 and LevelCounts().full_share is None


def test_the_target_comes_from_the_configuration(app, db_session, march):
    app.config["FULL_ONLINE_TARGET"] = 0.7
    try:
        st = stats.compute(db_session, MARCH, now=NOW)
    finally:
        app.config["FULL_ONLINE_TARGET"] = 0.30
    assert st.to_dict()["online_service"]["full_online_target"] == 0.7
    assert st.full_online_needed == 2


def test_level_values_are_the_catalogue_levels():
    assert {lvl.value for lvl in OnlineLevel} == {"full", "partial", "none"}
