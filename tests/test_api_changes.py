"""The dossier changes feed: every event exactly once through the signed cursor, only what
the key's offices may see, and never personal data."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from district_portal.models.types import utcnow
from district_portal.services.api import changes
from district_portal.services.api.keys import SCOPE_CHANGES, create_key
from tests.api_helpers import bearer, validate_against, validate_response
from tests.factories import SUBMITTED_AT, add_event, create_dossier, office

FEED = "/api/v1/dossiers/changes"
# Every personal value of the dataset: applicant, answers and the notes staff wrote.
PERSONAL = ["Nguyễn Thị Hằng", "025190000123", "+84912345678", "0912345678", "hang@example.vn",
            "Nguyễn Minh Khôi", "Tổ 5", "Bệnh viện Đa khoa", "Trần Văn Bảo", "0987654321",
            "nguyen thi hang"]


def dataset(session):
    """Three dossiers in two communes with nine events, several sharing one instant, one
    transfer between communes, and notes full of personal data."""
    t = SUBMITTED_AT
    a = create_dossier(session)
    b = create_dossier(session, office_code="000.00.05.T25")
    c = create_dossier(session)
    events = [add_event(session, d, "submit", at=t, to_status="submitted")
              for d in (a, b, c)]  # three at the same instant
    events.append(add_event(session, a, "accept", at=t + timedelta(hours=1),
                            to_status="accepted", note="Gọi chị Hằng 0912345678"))
    events.append(add_event(session, b, "refuse", at=t + timedelta(hours=1),
                            to_status="not_accepted",
                            note="Thiếu CCCD 025190000123 của Trần Văn Bảo 0987654321"))
    events.append(add_event(session, c, "accept", at=t + timedelta(hours=1),
                            to_status="accepted"))
    c.handling_office = office(session, "000.00.05.T25")
    events.append(add_event(session, c, "transfer", at=t + timedelta(hours=2),
                            to_status="accepted", from_office=office(session),
                            to_office=office(session, "000.00.05.T25"),
                            note="Chuyển hồ sơ của Nguyễn Thị Hằng"))
    events.append(add_event(session, a, "complete", at=t + timedelta(days=1),
                            to_status="done", data={"result": "Nguyễn Minh Khôi"}))
    events.append(add_event(session, a, "return_result", at=t + timedelta(days=1),
                            to_status="returned"))
    session.commit()
    return (a, b, c), events


def key_for(session, office_code=None) -> str:
    _key, secret = create_key(session, name="Hệ thống nhận", scopes=[SCOPE_CHANGES],
                              office_code=office_code)
    session.commit()
    return secret


def read_all(client, secret, limit, since=None):
    pages, items, url_since = 0, [], since
    while True:
        query = f"?limit={limit}" + (f"&since={url_since}" if url_since else "")
        response = client.get(FEED + query, headers=bearer(secret))
        assert response.status_code == 200, response.get_data(as_text=True)
        validate_response(FEED, response)
        body = response.get_json()
        items += body["items"]
        pages += 1
        url_since = body["next_cursor"]
        if not body["has_more"]:
            return items, url_since, pages


@pytest.mark.parametrize("limit", [1, 2, 4, 500])
def test_following_the_cursor_returns_every_event_exactly_once_in_order(client, db_session,
                                                                         limit):
    _dossiers, events = dataset(db_session)
    secret = key_for(db_session)
    items, _cursor, pages = read_all(client, secret, limit)
    ids = [i["event_id"] for i in items]
    assert len(ids) == len(set(ids)) == len(events)
    assert ids == [changes.event_id(e.dossier.public_id, e.id)
                   for e in sorted(events, key=lambda e: (e.at, e.id))]
    assert pages == -(-len(events) // limit)  # has_more is false on the last full page


def test_the_last_cursor_picks_up_exactly_the_events_added_after_it(client, db_session):
    (a, _b, _c), _events = dataset(db_session)
    secret = key_for(db_session)
    _items, cursor, _pages = read_all(client, secret, 3)
    empty = client.get(f"{FEED}?since={cursor}", headers=bearer(secret)).get_json()
    assert empty["items"] == [] and empty["next_cursor"] == cursor
    late = add_event(db_session, a, "rate", at=SUBMITTED_AT + timedelta(days=2),
                     to_status="returned", data={"rating": 5})
    db_session.commit()
    body = client.get(f"{FEED}?since={cursor}", headers=bearer(secret)).get_json()
    assert [i["event_id"] for i in body["items"]] == [changes.event_id(a.public_id, late.id)]
    assert body["items"][0]["action"] == "rate"


def test_an_item_names_codes_offices_and_statuses_only(client, db_session):
    (_a, _b, c), _events = dataset(db_session)
    items, _cursor, _pages = read_all(client, key_for(db_session), 500)
    transfer = next(i for i in items if i["action"] == "transfer")
    assert transfer == {
        "event_id": transfer["event_id"], "dossier_code": c.code,
        "procedure_code": "1.001193", "receiving_office": "000.00.04.T25",
        "handling_office": "000.00.05.T25", "from_office": "000.00.04.T25",
        "to_office": "000.00.05.T25", "action": "transfer", "from_status": "submitted",
        "to_status": "accepted", "at": "2026-03-03T04:15:00Z"}
    for item in items:
        validate_against("Change", item)
        assert set(item) == set(changes.CHANGE_FIELDS)


def test_the_feed_never_carries_personal_data(client, db_session):
    dataset(db_session)
    response = client.get(f"{FEED}?limit=500", headers=bearer(key_for(db_session)))
    text = response.get_data(as_text=True)
    assert len(response.get_json()["items"]) == 9
    for value in PERSONAL:
        assert value not in text, value
        assert value not in json.dumps(response.get_json(), ensure_ascii=True), value


def test_an_office_key_sees_its_office_and_the_offices_below_it_only(client, db_session):
    (a, b, c), events = dataset(db_session)
    seen = {}
    for code in ("000.00.05.T25", "000.00.04.T25", "000.00.00.T25", "000.00.06.T25"):
        items, _cursor, _pages = read_all(client, key_for(db_session, code), 500)
        seen[code] = {i["dossier_code"] for i in items}
    assert seen["000.00.05.T25"] == {b.code, c.code}  # c was transferred to it
    assert seen["000.00.04.T25"] == {a.code, c.code}
    assert seen["000.00.00.T25"] == {a.code, b.code, c.code}  # the province: all below it
    assert seen["000.00.06.T25"] == set()


def test_since_an_iso_time_starts_at_that_instant(client, db_session):
    _dossiers, events = dataset(db_session)
    secret = key_for(db_session)
    for since in ("2026-03-03T04:15:00Z", "2026-03-03T11:15:00%2B07:00",
                  "2026-03-03T04:15:00"):
        items, _cursor, _pages = read_all(client, secret, 2, since=since)
        assert [i["action"] for i in items] == ["transfer", "complete", "return_result"], since


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=abc", "since=yesterday",
                                   "since=2026-13-01", "since=WzEsMl0.forged",
                                   "since=0001-01-01T00:00:00%2B14:00"])
def test_bad_since_or_limit_is_a_400_in_vietnamese(client, db_session, query):
    response = client.get(f"{FEED}?{query}", headers=bearer(key_for(db_session)))
    assert response.status_code == 400
    validate_response(FEED, response)
    assert "phải" in response.get_json()["error"]["message"] or \
        "con trỏ" in response.get_json()["error"]["message"]


def test_a_time_before_the_epoch_starts_at_the_beginning(client, db_session):
    _dossiers, events = dataset(db_session)
    items, _cursor, _pages = read_all(client, key_for(db_session), 500, since="1900-01-01")
    assert len(items) == len(events)
    empty = client.get(f"{FEED}?since=2999-01-01", headers=bearer(key_for(db_session)))
    assert empty.status_code == 200 and empty.get_json()["items"] == []


def test_a_cursor_altered_by_the_client_is_refused(client, db_session):
    dataset(db_session)
    secret = key_for(db_session)
    cursor = client.get(f"{FEED}?limit=1", headers=bearer(secret)).get_json()["next_cursor"]
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert client.get(f"{FEED}?since={forged}", headers=bearer(secret)).status_code == 400


def test_events_younger_than_the_settling_time_wait_for_the_next_read(db_session):
    (a, _b, _c), _events = dataset(db_session)
    key, _secret = create_key(db_session, name="X", scopes=[SCOPE_CHANGES])
    now = utcnow()
    fresh = add_event(db_session, a, "rate", at=now, to_status="returned")
    page = changes.list_changes(db_session, key, secret="s", since=None, limit="500", now=now)
    assert changes.event_id(a.public_id, fresh.id) not in [i["event_id"] for i in page.items]
    later = changes.list_changes(db_session, key, secret="s", since=page.next_cursor,
                                 limit="500", now=now + changes.SETTLE)
    assert [i["event_id"] for i in later.items] == [changes.event_id(a.public_id, fresh.id)]
