"""The open-data API: its OpenAPI 3.1 document, the catalogue endpoints checked against that
document's schemas, and what every /api/v1 answer carries (strong ETag and 304, CORS, JSON
errors, no cookie)."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from district_portal.services.api.keys import SCOPE_CHANGES, create_key
from district_portal.services.api.openapi import document
from district_portal.services.catalog.fees import headline_amount
from district_portal.services.catalog.importer import demo_catalog_path, import_catalog
from tests.api_helpers import bearer, validate_against, validate_response
from tests.helpers import login, user_by_email

BIRTH = "1.001193"


def demo_doc() -> dict:
    return json.loads(demo_catalog_path().read_text("utf-8"))


@pytest.fixture
def changes_key(db_session) -> str:
    _key, secret = create_key(db_session, name="Cổng quốc gia", scopes=[SCOPE_CHANGES])
    db_session.commit()
    return secret


def test_the_openapi_document_is_a_valid_openapi_3_1_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)
    assert doc == json.loads(json.dumps(document()))


def test_the_document_describes_every_api_v1_route_the_app_serves(app):
    served = {rule.rule.replace("<", "{").replace(">", "}").replace("int:", "")
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert served == set(document()["paths"])


def test_the_procedure_list_pages_published_procedures_and_matches_its_schema(client):
    doc = demo_doc()
    published = sorted(p["code"] for p in doc["procedures"] if p.get("published", True))
    first = client.get("/api/v1/procedures?per_page=2")
    validate_response("/api/v1/procedures", first)
    body = first.get_json()
    assert body["total"] == len(published) and body["per_page"] == 2
    assert body["pages"] == -(-len(published) // 2)
    seen = []
    for page in range(1, body["pages"] + 1):
        items = client.get(f"/api/v1/procedures?per_page=2&page={page}").get_json()["items"]
        seen += [item["code"] for item in items]
    assert sorted(seen) == published
    birth = next(i for i in body["items"] + client.get(
        "/api/v1/procedures?q=khai+sinh").get_json()["items"] if i["code"] == BIRTH)
    entry = next(p for p in doc["procedures"] if p["code"] == BIRTH)
    assert birth["name"] == entry["name"] and birth["fee"] == headline_amount(entry) == 8000
    assert birth["processing_time"] == entry["processing_time"]
    assert [o["agency_code"] for o in birth["offices"]] == sorted(entry["offices"])


def test_the_procedure_list_filters_by_level_and_office(client):
    body = client.get("/api/v1/procedures?level=full&office=000.00.05.T25&per_page=100")
    validate_response("/api/v1/procedures", body)
    items = body.get_json()["items"]
    assert items and all(i["online_level"] == "full" for i in items)
    assert all("000.00.05.T25" in [o["agency_code"] for o in i["offices"]] for i in items)


def test_one_procedure_shows_its_current_versions_public_data_without_the_result_template(
        client):
    response = client.get(f"/api/v1/procedures/{BIRTH}")
    validate_response("/api/v1/procedures/{code}", response)
    data = response.get_json()
    entry = next(p for p in demo_doc()["procedures"] if p["code"] == BIRTH)
    assert data["steps"] == entry["steps"] and data["level"] == entry["level"]
    assert [f["key"] for f in data["fields"]] == [f["key"] for f in entry["fields"]]
    assert data["result"] == {"name": entry["result"]["name"]}
    assert "template" not in json.dumps(data)
    assert data["version"] == 1


def test_an_unknown_or_unpublished_procedure_is_a_json_404(client, db_session):
    doc = demo_doc()
    next(p for p in doc["procedures"] if p["code"] == BIRTH)["published"] = False
    import_catalog(db_session, doc)
    db_session.commit()
    for code in (BIRTH, "9.999999", "x"):
        response = client.get(f"/api/v1/procedures/{code}")
        assert response.status_code == 404
        validate_response("/api/v1/procedures/{code}", response)
        assert response.get_json()["error"]["code"] == "not_found"
    assert BIRTH not in json.dumps(client.get("/api/v1/procedures?per_page=100").get_json())


@pytest.mark.parametrize("query, word", [
    ("page=0", "page"), ("page=abc", "page"), ("per_page=101", "per_page"),
    ("per_page=-1", "per_page"), ("level=4", "level"), ("q=" + "a" * 201, "q"),
])
def test_bad_catalogue_parameters_get_a_400_with_a_vietnamese_message(client, query, word):
    response = client.get(f"/api/v1/procedures?{query}")
    assert response.status_code == 400
    validate_response("/api/v1/procedures", response)
    message = response.get_json()["error"]["message"]
    assert word in message and ("phải" in message or "tối đa" in message)


def _every_endpoint(secret: str) -> list[tuple[str, dict]]:
    return [("/api/v1/openapi.json", {}), ("/api/v1/stats", {}),
            ("/api/v1/stats?from=2026-01-01&office=000.00.04.T25", {}),
            ("/api/v1/procedures", {}),
            (f"/api/v1/procedures/{BIRTH}", {}), ("/api/v1/units/25/communes", {}),
            ("/api/v1/dossiers/changes", bearer(secret))]


def test_every_endpoint_answers_a_strong_etag_and_304_when_it_is_sent_back(client,
                                                                          changes_key):
    for url, headers in _every_endpoint(changes_key):
        for _attempt in range(2):  # /stats's as-of minute may turn between the two calls
            first = client.get(url, headers=headers)
            assert first.status_code == 200, url
            etag = first.headers["ETag"]
            assert etag.startswith('"') and not etag.startswith("W/"), (url, etag)
            again = client.get(url, headers={**headers, "If-None-Match": etag})
            if again.status_code == 304:
                break
        assert again.status_code == 304, url
        assert again.get_data() == b"" and again.headers["ETag"] == etag
        other = client.get(url, headers={**headers, "If-None-Match": '"other"'})
        assert other.status_code == 200 and other.get_data(), url


def test_a_compressed_answer_keeps_a_strong_etag_that_still_gives_a_304(client):
    gz = {"Accept-Encoding": "gzip"}
    first = client.get("/api/v1/openapi.json", headers=gz)
    assert first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    assert not etag.startswith("W/")
    again = client.get("/api/v1/openapi.json", headers={**gz, "If-None-Match": etag})
    assert again.status_code == 304


def test_every_endpoint_allows_any_origin_and_answers_the_preflight(client, changes_key):
    for url, headers in _every_endpoint(changes_key):
        response = client.get(url, headers={**headers, "Origin": "https://dichvucong.gov.vn"})
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        preflight = client.options(url, headers={
            "Origin": "https://dichvucong.gov.vn", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization"})
        assert preflight.status_code == 204, url
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_errors_under_api_v1_are_json_with_one_shape_never_the_html_page(client):
    cases = [("get", "/api/v1/nothing-here", 404, "not_found"),
             ("post", "/api/v1/procedures", 405, "method_not_allowed"),
             ("delete", f"/api/v1/procedures/{BIRTH}", 405, "method_not_allowed"),
             ("get", "/api/v1/dossiers/changes", 401, "unauthorized")]
    for method, url, status, code in cases:
        response = getattr(client, method)(url)
        assert response.status_code == status, url
        assert response.mimetype == "application/json"
        validate_against("Error", response.get_json())
        assert response.get_json()["error"]["code"] == code
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "ETag" in response.headers
        if status == 405:
            assert "GET" in response.headers["Allow"]


def test_too_many_requests_is_a_json_429(fresh_app):
    app = fresh_app(RATE_LIMITS_ON=True, API_RATE_LIMIT="2/minute")
    client = app.test_client()
    statuses = [client.get("/api/v1/openapi.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 429
    validate_against("Error", response.get_json())
    assert response.get_json()["error"]["code"] == "too_many_requests"


def test_an_unexpected_error_under_api_v1_is_a_json_500_without_details(fresh_app):
    app = fresh_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("boom: secret detail")

    app.add_url_rule("/api/v1/_broken", "broken", broken)
    response = app.test_client().get("/api/v1/_broken")
    assert response.status_code == 500
    validate_against("Error", response.get_json())
    assert "secret detail" not in response.get_data(as_text=True)


def test_the_api_neither_reads_nor_sets_the_session_cookie(client, app):
    admin = user_by_email_in(app, "admin.tinh@demo.test")
    login(client, admin)
    assert client.get("/staff/api-keys/").status_code == 200  # logged in for the site
    for url in ("/api/v1/procedures", "/api/v1/nothing", "/api/v1/dossiers/changes"):
        response = client.get(url, headers={"Accept-Language": "en"})
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", "")
    # A logged-in admin's browser is still no API key.
    assert client.get("/api/v1/dossiers/changes").status_code == 401


def user_by_email_in(app, email):
    from district_portal.db import get_db

    with app.app_context():
        session = get_db(app).reader()
        try:
            return user_by_email(session, email)
        finally:
            session.close()


def test_error_messages_are_vietnamese_whatever_the_language_cookie(client):
    client.set_cookie("lang", "en")
    message = client.get("/api/v1/nothing").get_json()["error"]["message"]
    assert message == "Không có dữ liệu nào tại địa chỉ này."


def test_the_documented_error_responses_copy_nothing_from_the_request(client):
    evil = "<script>alert(1)</script>"
    response = client.get(f"/api/v1/procedures/{evil}")
    assert response.status_code == 404
    assert evil not in response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "not_found"
