"""/api/v1/stats: the statistics service's figures as JSON, checked against the OpenAPI
schema, with filters as query parameters and a 400 JSON error for bad ones."""

from __future__ import annotations

from datetime import date

import pytest

from district_portal import services
from district_portal.services.stats import compute, find_office, parse_period
from tests.api_helpers import validate_response
from tests.factories import S, create_dossier

STATS = "/api/v1/stats"


@pytest.fixture
def filed(db_session):
    create_dossier(db_session)
    create_dossier(db_session, status=S.ACCEPTED)
    create_dossier(db_session, status=S.DONE, office_code="000.00.05.T25")
    create_dossier(db_session, status=S.NOT_ACCEPTED, channel="counter")
    db_session.commit()


def _without_as_of(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "as_of"}


def test_the_stats_answer_matches_its_schema_and_the_statistics_service(app, client,
                                                                        db_session, filed):
    response = client.get(f"{STATS}?from=2026-01-01&to=2026-06-30")
    assert response.status_code == 200
    validate_response(STATS, response)
    body = response.get_json()
    assert body["as_of"].endswith(":00+00:00") or body["as_of"].endswith(":00Z")
    assert body["period"] == {"start": "2026-01-01", "end": "2026-06-30"}
    with app.test_request_context():
        expected = compute(db_session, parse_period("2026-01-01", "2026-06-30")).to_dict()
    assert _without_as_of(body) == _without_as_of(expected)
    assert body["online_service"]["received"] == 4
    assert body["by_office"] and body["by_procedure"]


def test_the_office_filter_counts_that_office_and_those_below_only(app, client, db_session,
                                                                   filed):
    ward = client.get(f"{STATS}?from=01/01/2026&to=30/06/2026&office=000.00.05.T25")
    validate_response(STATS, ward)
    assert ward.get_json()["office"]["agency_code"] == "000.00.05.T25"
    assert ward.get_json()["online_service"]["received"] == 1
    province = client.get(f"{STATS}?from=2026-01-01&to=2026-06-30&office=000.00.00.T25")
    assert province.get_json()["online_service"]["received"] == 4
    with app.test_request_context():
        office = find_office(db_session, "000.00.05.T25")
        expected = compute(db_session, parse_period(date(2026, 1, 1), date(2026, 6, 30)),
                           office).to_dict()
    assert _without_as_of(ward.get_json()) == _without_as_of(expected)


@pytest.mark.parametrize("query", [
    "from=2026-02-30", "from=30/02/2026", "from=hôm qua", "from=2026-06-01&to=2026-01-01",
    "from=2019-01-01&to=2026-01-01", "office=KHONG.CO", "to=2026-13-01",
])
def test_bad_filters_get_a_400_json_error_in_vietnamese(client, query):
    response = client.get(f"{STATS}?{query}")
    assert response.status_code == 400
    validate_response(STATS, response)
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    vietnamese = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    assert any(c in error["message"] for c in vietnamese), error["message"]


def test_the_stats_service_is_the_only_source_of_the_api_figures():
    # The API module computes nothing itself: it hands the filters to services.stats
    # (through its cache, shared with the /stats page).
    from district_portal.services.api import stats as api_stats

    source = api_stats.__loader__.get_source(api_stats.__name__)
    assert "cached_compute(" in source and "func." not in source and "select(" not in source
    assert hasattr(services, "stats")
