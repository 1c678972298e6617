"""The public /stats page and its CSV tables: figures from the data, budgets, bad filters."""

from __future__ import annotations

import csv
import gzip
import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from district_portal.models import Office
from district_portal.services.stats.export import safe_cell, to_csv
from tests.factories import OFFICE
from tests.helpers import scripts
from tests.stats_data import build_march, date_catalogue

KB = 1024
MARCH = "/stats?start=01/03/2026&end=31/03/2026"
TABLES = ("levels", "channels", "progress", "details", "payments", "satisfaction", "offices",
          "procedures")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "stats"


def _text(body: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _kpis(body: str) -> list[str]:
    block = re.search(r'<dl class="kpi">(.*?)</dl>', body, re.S).group(1)
    return re.findall(r"<dd>([^<]*)</dd>", block)


def _table(body: str, name: str) -> list[list[str]]:
    section = re.search(rf'<h3 id="t-{name}">.*?</section>', body, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    return [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", r)]
            for r in rows]


def _csv(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_page_fits_the_public_budget_with_no_script_and_small_charts(client, db_session):
    build_march(db_session)
    db_session.commit()
    response = client.get(MARCH)
    assert response.status_code == 200
    assert len(gzip.compress(response.data)) <= 14 * KB
    body = response.get_data(as_text=True)
    assert not scripts(body) and " style=" not in body
    charts = re.findall(r"<svg.*?</svg>", body, re.S)
    assert len(charts) == 5
    assert all(len(c.encode()) <= 3 * KB for c in charts)
    # Each chart is decorative for screen readers and followed by its table.
    for chart in charts:
        assert 'aria-hidden="true"' in chart
        assert body.index("<table", body.index(chart)) > body.index(chart)


def test_no_figure_is_typed_in_the_templates():
    for path in TEMPLATES.glob("*.html"):
        source = re.sub(r"</?h[1-6]", "", path.read_text("utf-8"))
        assert not re.search(r"\d", source), f"a digit in {path.name}"


def test_the_figures_change_with_the_data(client, db_session):
    date_catalogue(db_session)
    db_session.commit()
    empty = client.get(MARCH).get_data(as_text=True)
    assert _kpis(empty) == ["50%", "0", "—"]  # 3 of 6 demo procedures fully online
    build_march(db_session)
    db_session.commit()
    full = client.get(MARCH).get_data(as_text=True)
    assert _kpis(full) == ["50%", "15", "75%"]
    assert _table(full, "channels")[1:] == [["Nộp trực tuyến", "14"],
                                            ["Tại bộ phận một cửa", "1"]]
    assert _table(full, "progress")[1:3] == [["Giải quyết đúng hạn", "6"],
                                             ["Giải quyết quá hạn", "2"]]
    details = dict(row[:2] for row in _table(full, "details")[1:])
    assert details["Tỷ lệ giải quyết đúng hạn"] == "75%"
    assert details["Thời gian giải quyết trung bình (ngày làm việc)"] == "4,25"
    assert _table(full, "satisfaction")[1:3] == [["5/5 điểm", "2"], ["4/5 điểm", "1"]]
    assert _table(full, "payments")[1:] == [["Thanh toán trực tuyến", "1", "15.000 đồng"],
                                            ["Nộp tại bộ phận một cửa", "1", "15.000 đồng"]]
    text = _text(full)
    assert "Đã đạt mục tiêu 30% thủ tục toàn trình." in text
    assert re.search(r"Số liệu tính đến \d\d/\d\d/\d{4} \d\d:\d\d, từ 01/03/2026 đến "
                     r"31/03/2026: tất cả cơ quan\.", text)


def test_the_gap_to_the_target_is_said_in_procedures(app, client):
    app.config["FULL_ONLINE_TARGET"] = 0.7
    try:
        text = _text(client.get("/stats").get_data(as_text=True))
    finally:
        app.config["FULL_ONLINE_TARGET"] = 0.30
    assert "Cần thêm 2 thủ tục toàn trình để đạt 70%." in text


def test_the_office_filter_narrows_the_figures(client, db_session):
    build_march(db_session)
    db_session.commit()
    body = client.get(MARCH + "&office=000.00.05.T25").get_data(as_text=True)
    # 3 of the 5 procedures Tân Hòa receives are fully online; it decided one dossier, in time.
    assert _kpis(body) == ["60%", "0", "100%"]
    assert "UBND phường Tân Hòa." in _text(body)
    assert 'value="000.00.05.T25" selected' in body


@pytest.mark.parametrize(("query", "message", "typed"), [
    ("start=31/02/2026", "Ngày này không tồn tại: 31/02/2026.", 'value="31/02/2026"'),
    ("start=01/03/2026&end=01/02/2026", "Ngày kết thúc trước ngày bắt đầu.",
     'value="01/02/2026"'),
    ("start=01/01/2019&end=31/12/2025", "Khoảng thời gian tối đa 5 năm.",
     'value="01/01/2019"'),
    ("office=999.99.99.X00", "Không có cơ quan nào có mã 999.99.99.X00.",
     'value="999.99.99.X00" selected'),
    ("start=%3Cscript%3E", "Nhập ngày theo dạng dd/mm/yyyy", 'value="&lt;script&gt;"'),
])
def test_bad_filters_get_a_400_page_in_vietnamese_with_what_was_typed(client, query, message,
                                                                      typed):
    response = client.get(f"/stats?{query}")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in html.unescape(body)
    assert typed in body
    assert 'role="alert"' in body and not scripts(body)
    assert client.get(f"/stats.csv?table=levels&{query}").status_code == 400


def test_every_table_downloads_as_csv_with_the_same_filters(client, db_session):
    build_march(db_session)
    db_session.commit()
    body = client.get(MARCH).get_data(as_text=True)
    for name in TABLES:
        link = f"/stats.csv?table={name}&amp;start=01/03/2026&amp;end=31/03/2026"
        assert link in body, name
        rows = _csv(client, html.unescape(link))
        assert len(rows) >= 2, name
    assert _csv(client, f"{MARCH.replace('/stats?', '/stats.csv?table=channels&')}") == [
        ["Hình thức nộp", "Hồ sơ"], ["Nộp trực tuyến", "14"], ["Tại bộ phận một cửa", "1"]]
    offices = _csv(client, MARCH.replace("/stats?", "/stats.csv?table=offices&"))
    assert offices[0][:3] == ["Cơ quan", "Đã tiếp nhận", "Trực tuyến"]
    assert offices[1][:6] == ["UBND phường Hòa Bình", "15", "14", "7", "5", "2"]
    assert client.get("/stats.csv?table=nope").status_code == 404


def test_a_name_that_looks_like_a_formula_is_neutralised_in_the_csv(client, db_session):
    build_march(db_session)
    db_session.scalar(select(Office).where(Office.agency_code == OFFICE)).name = \
        '=HYPERLINK("http://evil.example","Bấm")'
    db_session.commit()
    rows = _csv(client, MARCH.replace("/stats?", "/stats.csv?table=offices&"))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","Bấm")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell(-3) == "-3"  # a number stays a number
    data = to_csv(["a"], [[text]]).decode("utf-8")
    assert data.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(data[1:]))) == [["a"], ["'" + text]]


def test_the_statistics_are_linked_from_the_header_and_the_home_page(client):
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/stats"') == 2
    assert 'href="/stats"' in client.get("/procedures").get_data(as_text=True)
