"""The road to fully online: every partly-online procedure with what it lacks, the most filed
first, for province staff and admins only."""

from __future__ import annotations

import json
import re

import pytest

from district_portal.services.catalog.importer import demo_catalog_path
from district_portal.services.stats.readiness import lacks_of, readiness
from tests.factories import MARRIAGE, staff, user
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import login

DEMO = {p["code"]: p for p in json.loads(demo_catalog_path().read_text("utf-8"))["procedures"]}
URL = "/staff/stats/readiness"


def test_a_fully_online_procedure_lacks_nothing():
    for code, proc in DEMO.items():
        if proc["online_level"] == "full":
            assert lacks_of(proc) == [], code


def test_each_lack_is_read_from_the_catalogue_entry():
    kinds = {code: [(lack.kind, lack.steps) for lack in lacks_of(DEMO[code])]
             for code in ("2.000815", "1.000894", "2.000575")}
    assert kinds["2.000815"] == [
        ("delivery", []),
        ("in_person", ["Mang bản chính đến bộ phận một cửa theo lịch hẹn để đối chiếu.",
                       "Nhận bản sao đã chứng thực tại bộ phận một cửa."]),
        ("template", [])]
    assert kinds["1.000894"] == [
        ("delivery", []),
        ("in_person", ["Hai bên có mặt tại UBND xã/phường để ký và nhận Giấy chứng nhận "
                       "kết hôn."]),
        ("template", [])]
    assert [k for k, _ in kinds["2.000575"]] == ["payment", "delivery", "in_person", "template"]


def test_an_entry_that_fixes_its_lacks_lacks_nothing():
    fixed = dict(DEMO["2.000575"],
                 fee={"lines": [{"label": "Lệ phí", "amount": 100000}], "online_payment": True},
                 steps=["Điền giấy đề nghị trực tuyến.", "Nộp lệ phí trực tuyến."],
                 result={"name": "Giấy chứng nhận", "template": "<p>{{ answers }}</p>"})
    assert lacks_of(fixed) == []


def test_the_most_filed_procedure_comes_first(app, db_session):
    before = [r.code for r in readiness(db_session)]
    assert set(before) == {"2.000815", "1.000894", "2.000575"}
    create_dossier(db_session, code=MARRIAGE)
    create_dossier(db_session, code=MARRIAGE)
    rows = readiness(db_session)
    assert rows[0].code == MARRIAGE and rows[0].dossiers == 2
    assert [r.dossiers for r in rows[1:]] == [0, 0]


@pytest.mark.parametrize(("role", "office", "status"), [
    ("admin", "000.00.04.T25", 200), ("clerk", "000.00.00.T25", 200),
    ("leader", "000.01.00.T25", 200), ("leader", "000.00.04.T25", 404),
    ("clerk", "000.00.05.T25", 404),
])
def test_only_province_staff_and_admins_open_the_page(client, db_session, role, office, status):
    account = staff(db_session, role, office)
    db_session.commit()
    login(client, account)
    assert client.get(URL).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_page_lists_the_lacks_and_the_gap(app, client, db_session):
    admin = user(db_session, "admin@demo.test")
    app.config["FULL_ONLINE_TARGET"] = 0.7
    try:
        login(client, admin)
        body = client.get(URL).get_data(as_text=True)
    finally:
        app.config["FULL_ONLINE_TARGET"] = 0.30
    assert "Cần thêm 2 thủ tục toàn trình để đạt 70%." in body
    assert "Thanh toán trực tuyến phí, lệ phí (100.000 đồng)" in body
    assert "Hai bên có mặt tại UBND xã/phường" in body
    assert len(re.findall(r'<th scope="row">', body)) == 3
    assert 'href="/staff/stats/readiness"' in body  # in the staff menu
