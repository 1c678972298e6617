"""Catalogue search on the engine under test: diacritics, codes, filters, pages, hostile input."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from district_portal.services.catalog.importer import demo_catalog_path, import_catalog
from tests.helpers import scripts

BIRTH = "1.001193"  # Đăng ký khai sinh
DEATH = "1.000656"  # Đăng ký khai tử
ITEM = re.compile(r'<li><a href="/procedures/([^"]+)">')


def demo_procedures() -> list[dict]:
    return json.loads(demo_catalog_path().read_text("utf-8"))["procedures"]


def search(client, query: str = "", **params) -> tuple[int, str]:
    response = client.get("/procedures", query_string={"q": query, **params})
    return response.status_code, response.get_data(as_text=True)


def found(client, query: str = "", **params) -> list[str]:
    """The codes of the results (not of the suggestions shown when nothing matches)."""
    status, body = search(client, query, **params)
    assert status == 200
    return ITEM.findall(body.split('<section id="no-result">')[0])


@pytest.mark.parametrize("query", [
    "dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh", "Đăng ký khai sinh",
    "  đăng   KÝ  khai sinh ", "KHAI SINH dang ky",
])
def test_birth_registration_is_found_with_or_without_diacritics_and_in_any_case(client, query):
    codes = found(client, query)
    assert BIRTH in codes
    assert DEATH not in codes


def test_a_decomposed_unicode_query_finds_the_same_procedure(client):
    import unicodedata

    assert found(client, unicodedata.normalize("NFD", "Đăng ký khai sinh")) == [BIRTH]


def test_a_procedure_is_found_by_its_code(client):
    assert found(client, BIRTH) == [BIRTH]
    assert found(client, "2.000815") == ["2.000815"]


def test_an_empty_query_lists_every_published_procedure(client):
    assert sorted(found(client)) == sorted(p["code"] for p in demo_procedures())


def test_a_query_that_matches_nothing_says_so(client):
    status, body = search(client, "khong co thu tuc nay")
    assert status == 200
    assert found(client, "khong co thu tuc nay") == []
    assert "Không tìm thấy" in body


MARRIAGE_STATUS = "1.004873"  # Cấp Giấy xác nhận tình trạng hôn nhân


@pytest.mark.parametrize(("query", "expected"), [
    ("lam giay khai sinh", BIRTH),
    ("dang ky khai sinh cho con", BIRTH),
    ("khaisinh", BIRTH),
    ("xac nhan doc than", MARRIAGE_STATUS),
    ("Xin cấp giấy xác nhận độc thân", MARRIAGE_STATUS),
    ("thu tuc dang ky ket hon", "1.000894"),
])
def test_what_people_type_finds_the_right_procedure_first(client, query, expected):
    codes = found(client, query)
    assert codes and codes[0] == expected


def test_a_procedure_matching_more_words_ranks_before_one_matching_fewer(client):
    # "khai sinh" matches both words of the birth registration, only "khai" of the death one:
    # only the best tier is listed.
    assert found(client, "dang ky khai sinh") == [BIRTH]


def test_filler_words_alone_still_search_rather_than_list_everything(client):
    assert len(found(client, "lam cho toi")) < len(demo_procedures())


def test_a_search_without_result_offers_the_most_used_procedures_and_help(client):
    status, body = search(client, "qwertyuiop")
    assert status == 200
    assert "Không tìm thấy thủ tục nào phù hợp" in body
    assert "không dấu" not in body  # someone who typed without diacritics did nothing wrong
    assert "Thủ tục được dùng nhiều nhất" in body or "dùng nhiều" in body
    assert "Cần hỗ trợ?" in body
    assert "UBND phường Hòa Bình" in body.split('<section id="no-result">')[1]


def test_the_field_filter_keeps_only_that_field(client):
    expected = sorted(p["code"] for p in demo_procedures() if p["field"] == "Hộ tịch")
    assert sorted(found(client, field="Hộ tịch")) == expected
    assert found(client, "khai sinh", field="Chứng thực") == []


@pytest.mark.parametrize("level", ["full", "partial", "none"])
def test_the_online_level_filter_keeps_only_that_level(client, level):
    expected = sorted(p["code"] for p in demo_procedures() if p["online_level"] == level)
    assert expected
    assert sorted(found(client, level=level)) == expected


def test_the_office_filter_keeps_procedures_received_by_that_agency(client):
    office = "000.00.05.T25"
    expected = sorted(p["code"] for p in demo_procedures() if office in p["offices"])
    assert 0 < len(expected) < len(demo_procedures())
    assert sorted(found(client, office=office)) == expected


def test_filters_combine(client):
    expected = sorted(p["code"] for p in demo_procedures()
                      if p["field"] == "Hộ tịch" and p["online_level"] == "partial"
                      and "000.00.05.T25" in p["offices"])
    assert expected
    assert sorted(found(client, field="Hộ tịch", level="partial",
                        office="000.00.05.T25")) == expected


# --- pagination -------------------------------------------------------------------------------


def _generated(n: int) -> dict:
    procedures = []
    for i in range(n):
        procedures.append({
            "code": f"9.{i:06d}",
            "name": f"Thủ tục sinh tự động số {i:02d}",
            "field": "Thử nghiệm phân trang",
            "level": "commune",
            "online_level": "full" if i % 2 else "partial",
            "processing_time": {"amount": 1, "unit": "working_days"},
            "fee": 0,
            "offices": ["000.00.04.T25"],
            "steps": ["Nộp hồ sơ."],
            "documents": [],
            "fields": [],
            "result": {"name": "Kết quả"},
        })
    return {"format": "district-portal-catalog/1", "procedures": procedures}


def _link(body: str, rel: str) -> dict[str, list[str]] | None:
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', body)
    if match is None:
        return None
    url = urlsplit(html.unescape(match.group(1)))
    assert url.path == "/procedures"
    return parse_qs(url.query, keep_blank_values=True)


def test_results_are_paged_by_20_and_the_links_keep_the_filters(db_session, client):
    import_catalog(db_session, _generated(25))
    db_session.commit()
    params = {"field": "Thử nghiệm phân trang", "q": "tu dong"}

    status, first = search(client, **params)
    assert status == 200
    assert len(ITEM.findall(first)) == 20
    assert "Tìm thấy 25 thủ tục" in first
    assert "Trang 1 / 2" in first
    assert _link(first, "prev") is None
    following = _link(first, "next")
    assert following["page"] == ["2"]
    assert following["field"] == [params["field"]]
    assert following["q"] == [params["q"]]

    status, second = search(client, page=2, **params)
    assert status == 200
    second_codes = ITEM.findall(second)
    assert len(second_codes) == 5
    assert not set(second_codes) & set(ITEM.findall(first))
    assert _link(second, "next") is None
    back = _link(second, "prev")
    assert back["page"] == ["1"]
    assert back["field"] == [params["field"]] and back["q"] == [params["q"]]


def test_the_level_filter_survives_into_the_next_page(db_session, client):
    import_catalog(db_session, _generated(45))
    db_session.commit()
    status, body = search(client, level="full", field="Thử nghiệm phân trang")
    assert status == 200
    assert "Tìm thấy 22 thủ tục" in body
    assert _link(body, "next")["level"] == ["full"]


def test_a_page_past_the_end_is_an_empty_normal_page(client):
    status, body = search(client, page=500)
    assert status == 200
    assert ITEM.findall(body) == []


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "a" * 10_000, "khai " * 2000, "%", "_", "%%%", "\\", "' OR 1=1 --", '"; DROP TABLE procedure;',
    "đ" * 5000,
])
def test_hostile_queries_give_a_normal_page(client, query):
    status, body = search(client, query)
    assert status == 200
    assert 'id="q"' in body and "Tìm thấy" in body


@pytest.mark.parametrize("query", ["%", "_", "' OR 1=1 --"])
def test_like_wildcards_and_sql_do_not_match_everything(client, query):
    assert len(found(client, query)) in (0, len(demo_procedures()))
    assert found(client, f"khai sinh {query}") in ([BIRTH], [])


def test_a_script_in_the_query_is_escaped_never_raw(client):
    status, body = search(client, "<script>alert(1)</script>")
    assert status == 200
    assert not scripts(body)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_script_in_the_filters_is_escaped_never_raw(client):
    status, body = search(client, field="<script>x</script>", office="<script>y</script>")
    assert status == 200
    assert not scripts(body)


@pytest.mark.parametrize("raw", [
    "/procedures?q=%ff%fe",
    "/procedures?q=%C3%28",
    "/procedures?field=%ff&office=%fe&level=%80",
    "/procedures?page=abc",
    "/procedures?page=-1",
    "/procedures?page=0",
    "/procedures?page=99999999999999999999999",
    "/procedures?page=1.5",
    "/procedures?level=bogus",
    "/procedures?q=a&q=b&page=1&page=2",
    "/procedures?%ff=%ff",
])
def test_malformed_query_strings_give_a_normal_page(client, raw):
    response = client.get(raw)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="q"' in body


@pytest.mark.parametrize("raw", ["/procedures?q=%00", "/procedures?field=%00",
                                 "/procedures?office=a%00b&level=%00"])
def test_a_nul_byte_in_the_query_gets_a_plain_bad_request_page(client, raw):
    """No form sends a NUL (PostgreSQL refuses it in text): errors.refuse_nul_bytes answers
    400 with the portal's own Vietnamese page before any view runs."""
    response = client.get(raw)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert '<html lang="vi">' in body and "Traceback" not in body


def test_a_bogus_level_is_ignored_rather_than_matching_nothing(client):
    assert sorted(found(client, level="bogus")) == sorted(p["code"] for p in demo_procedures())


def test_a_negative_page_shows_the_first_page(client):
    assert found(client, page="-1") == found(client)
