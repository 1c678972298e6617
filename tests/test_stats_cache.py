"""The statistics cache: a second request is served from the database without computing;
any change a figure depends on, or the TTL, makes the next request compute again."""

from __future__ import annotations

import json
import re
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, update

from district_portal.db import get_db
from district_portal.models import StatsCacheEntry
from district_portal.services import stats
from district_portal.services.stats import cache
from tests.stats_data import NOW, Builder, at, build_march
from tests.test_stats_history import _reimport

PAGE = "/stats?start=01/03/2026&end=31/03/2026"
API = "/api/v1/stats?from=2026-03-01&to=2026-03-31"
MARCH = stats.Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def computed(monkeypatch):
    """How many times the statistics were computed (not read from the cache)."""
    calls = []
    real = stats.compute

    def counting(*args, **kwargs):
        calls.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(stats, "compute", counting)
    return calls


@pytest.fixture
def march(db_session):
    d = build_march(db_session)
    db_session.commit()
    return d


def _entries(session) -> list[StatsCacheEntry]:
    session.expire_all()
    return session.scalars(select(StatsCacheEntry)).all()


def _age_entries(session, seconds: int) -> None:
    """Make every entry `seconds` older (as if computed that long ago)."""
    for entry in _entries(session):
        entry.computed_at -= timedelta(seconds=seconds)
    session.commit()


@pytest.mark.parametrize("office", [None, "000.00.05.T25"])
def test_the_statistics_round_trip_through_their_cached_form(app, db_session, march, office):
    with app.test_request_context():
        st = stats.compute(db_session, MARCH, stats.find_office(db_session, office), now=NOW)
    again = cache.from_raw(json.loads(json.dumps(cache.to_raw(st))))
    assert again == st
    assert again.to_dict() == st.to_dict()
    assert again.rating_average == st.rating_average
    assert again.full_online_needed == st.full_online_needed


def test_a_second_request_is_served_from_the_cache_by_the_page_the_csv_and_the_api(
        client, db_session, march, computed):
    first = client.get(PAGE)
    assert first.status_code == 200 and len(computed) == 1
    statements = []
    engine = get_db(client.application).engine

    def count(*_args):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        second = client.get(PAGE)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    main = re.compile(r"<main.*</main>", re.S)
    assert main.search(second.get_data(as_text=True)).group(0) == \
        main.search(first.get_data(as_text=True)).group(0)
    assert len(computed) == 1
    assert len(statements) <= 12  # filters, data version, one lookup, the office list
    assert client.get("/stats.csv?table=channels&start=01/03/2026&end=31/03/2026"
                      ).status_code == 200
    body = client.get(API).get_json()
    assert len(computed) == 1  # the API shares the page's entry
    assert body["online_service"]["received"] == 15
    assert len(_entries(db_session)) == 1


def test_a_workflow_action_makes_the_next_request_compute_again(client, db_session, march,
                                                                computed):
    before = client.get(API).get_json()
    _age_entries(db_session, 120)  # so that a new "as of" time differs from the first
    [aged] = _entries(db_session)
    aged_at = aged.computed_at
    b = Builder(db_session)
    b.do(march["waiting"], "accept", at(20, 9))
    db_session.commit()
    after = client.get(API).get_json()
    assert len(computed) == 2
    [entry] = _entries(db_session)
    assert entry.computed_at > aged_at
    assert after["as_of"] == entry.computed_at.isoformat()
    assert after["progress"]["open"] == before["progress"]["open"] + 1
    client.get(API)
    assert len(computed) == 2


def test_a_new_submission_makes_the_next_request_compute_again(client, db_session, march,
                                                               computed):
    assert client.get(API).get_json()["online_service"]["received"] == 15
    Builder(db_session).file(at(19, 8))
    db_session.commit()
    assert client.get(API).get_json()["online_service"]["received"] == 16
    assert len(computed) == 2


def test_a_level_change_or_a_catalogue_import_makes_the_next_request_compute_again(
        client, db_session, computed):
    before = client.get("/api/v1/stats").get_json()
    _reimport(db_session, NOW, {"1.000894": {"online_level": "full"}})
    db_session.commit()
    after = client.get("/api/v1/stats").get_json()
    assert len(computed) == 2
    assert after["online_service"]["procedures_full"] == \
        before["online_service"]["procedures_full"] + 1
    # A new version of a procedure, its level unchanged, is a change too.
    _reimport(db_session, NOW, {"1.000894": {"online_level": "full", "name": "Tên mới"}})
    db_session.commit()
    client.get("/api/v1/stats")
    assert len(computed) == 3


def test_an_entry_expires_after_the_ttl_even_when_nothing_changed(app, client, db_session,
                                                                  march, computed):
    client.get(API)
    ttl = app.config["STATS_CACHE_SECONDS"]
    _age_entries(db_session, ttl - 60)
    client.get(API)
    assert len(computed) == 1
    _age_entries(db_session, 61)
    client.get(API)
    assert len(computed) == 2
    [entry] = _entries(db_session)  # replaced, not added
    assert entry.computed_at > NOW


def test_a_ttl_of_zero_computes_every_time_and_stores_nothing(app, client, db_session, march,
                                                              computed, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_CACHE_SECONDS", 0)
    client.get(API)
    client.get(PAGE)
    assert len(computed) == 2
    assert _entries(db_session) == []


def test_another_target_is_another_entry(app, client, db_session, march, computed,
                                         monkeypatch):
    client.get(API)
    monkeypatch.setitem(app.config, "FULL_ONLINE_TARGET", 0.7)
    body = client.get(API).get_json()
    assert body["online_service"]["full_online_target"] == 0.7
    assert len(computed) == 2 and len(_entries(db_session)) == 2


@pytest.mark.parametrize("url", ["/stats?start=30/02/2026", "/api/v1/stats?from=2026-02-30",
                                 "/stats.csv?table=levels&office=KHONG.CO"])
def test_bad_filters_are_refused_before_the_cache(client, db_session, computed, url):
    response = client.get(url)
    assert response.status_code == 400
    assert computed == [] and _entries(db_session) == []


def test_an_entry_stored_first_by_another_request_is_kept_and_the_answer_still_given(
        client, db_session, march, computed, monkeypatch):
    # The other request's entry appears between this one's delete and insert (PostgreSQL
    # lets two writers interleave so): the insert fails on the unique key and is dropped.
    client.get(API)
    db_session.execute(update(StatsCacheEntry).values(data_version="other"))
    db_session.commit()
    real_delete = cache.delete
    monkeypatch.setattr(cache, "delete", lambda table: real_delete(table).where(sa.false()))
    response = client.get(API)
    assert response.status_code == 200
    assert response.get_json()["online_service"]["received"] == 15
    assert len(computed) == 2
    [entry] = _entries(db_session)
    assert entry.data_version == "other"


def test_two_requests_racing_to_store_the_same_figures_both_get_them(fresh_app, monkeypatch):
    app = fresh_app()
    barrier = threading.Barrier(2, timeout=30)
    real = stats.compute

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        barrier.wait()  # both computed before either stores
        return result

    monkeypatch.setattr(stats, "compute", slow)
    answers, errors = [], []

    def ask():
        try:
            answers.append(app.test_client().get("/api/v1/stats"))
        except BaseException as exc:  # reported below, never lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert [r.status_code for r in answers] == [200, 200]
    a, b = (r.get_json() for r in answers)
    assert {k: v for k, v in a.items() if k != "as_of"} == \
        {k: v for k, v in b.items() if k != "as_of"}
    with get_db(app).transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(StatsCacheEntry)) == 1


def test_within_the_grace_a_busy_office_gets_the_cached_figures_with_their_as_of_time(
        app, client, db_session, march, computed, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_CACHE_GRACE_SECONDS", 60)
    before = client.get(API).get_json()
    b = Builder(db_session)
    b.do(march["waiting"], "accept", at(20, 9))
    db_session.commit()
    during = client.get(API).get_json()
    assert len(computed) == 1  # the change came within the grace: no new computation
    assert during == before  # the same figures, honestly dated by their own "as of"
    _age_entries(db_session, 61)
    after = client.get(API).get_json()
    assert len(computed) == 2
    assert after["progress"]["open"] == before["progress"]["open"] + 1
