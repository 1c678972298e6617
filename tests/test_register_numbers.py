"""Issued results are official documents: a gap-free register number per office, procedure and
year, the date line as Decree 30/2020 writes it, a signature block, and no dossier code."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Dossier, Office, Procedure, ResultRegister
from district_portal.services import storage
from district_portal.services.documents import issuing, official, registers, results
from district_portal.text import LOCAL_TZ
from tests.factories import MARITAL, accepted_dossier, office, procedure, user
from tests.helpers import csrf_token, issue, issued_dossier, login, pdf_text, prepare, sha256

UTC_NOON = dict(hour=12, tzinfo=LOCAL_TZ)


def _at(y, m, d):
    return datetime(y, m, d, **UTC_NOON)


# --- the date line --------------------------------------------------------------------------


@pytest.mark.parametrize(("when", "expected"), [
    (_at(2026, 1, 5), "ngày 05 tháng 01 năm 2026"),
    (_at(2026, 2, 28), "ngày 28 tháng 02 năm 2026"),
    (_at(2026, 3, 9), "ngày 09 tháng 3 năm 2026"),
    (_at(2026, 11, 15), "ngày 15 tháng 11 năm 2026"),
    (_at(2026, 12, 10), "ngày 10 tháng 12 năm 2026"),
])
def test_the_date_line_has_a_leading_zero_only_for_days_1_to_9_and_months_1_and_2(when, expected):
    assert official.long_date(when) == expected


def test_the_date_line_is_in_local_time():
    # 18:30 UTC on 4 January is already 5 January in Viet Nam
    assert official.long_date(datetime(2026, 1, 4, 18, 30, tzinfo=UTC)) == \
        "ngày 05 tháng 01 năm 2026"


@pytest.mark.parametrize(("address", "name", "place"), [
    ("Xã Hòa An, tỉnh Phú Thọ", "UBND xã Hòa An", "Hòa An"),
    ("Phường Hòa Bình, tỉnh Phú Thọ", "UBND phường Hòa Bình", "Hòa Bình"),
    ("Phường 12, Thành phố Hồ Chí Minh", "UBND phường 12", "Phường 12"),
    ("Tỉnh Phú Thọ", "UBND tỉnh Phú Thọ", "Phú Thọ"),
    (None, "UBND xã Tân Lập", "Tân Lập"),
])
def test_the_place_is_its_proper_name_without_xa_or_phuong(address, name, place):
    o = Office(agency_code="x", name=name, address=address)
    assert official.place_name(o) == place
    assert official.date_line(o, _at(2026, 1, 5)) == f"{place}, ngày 05 tháng 01 năm 2026"


def test_an_ubnd_is_headed_by_its_full_name_on_two_lines():
    assert official.issuer_lines(Office(agency_code="x", name="UBND phường Hòa Bình")) == (
        "ỦY BAN NHÂN DÂN", "PHƯỜNG HÒA BÌNH")
    assert official.issuer_lines(Office(agency_code="x", name="Sở Tư pháp")) == ("SỞ TƯ PHÁP",)


def test_form_01_writes_the_time_in_hours_and_minutes():
    assert official.spoken_time(datetime(2026, 11, 27, 14, 5, tzinfo=LOCAL_TZ)) == \
        "14 giờ 05 phút, ngày 27 tháng 11 năm 2026"


# --- register numbers -------------------------------------------------------------------------


def test_numbers_count_per_office_procedure_and_year(app, db_session):
    hoa_binh, other = office(db_session), office(db_session, "000.00.05.T25")
    birth, marital = procedure(db_session, "1.001193"), procedure(db_session, MARITAL)
    take = lambda o, p, y: registers.allocate(db_session, o, p, _at(y, 6, 1)).number_text  # noqa: E731
    assert [take(hoa_binh, birth, 2026) for _ in range(3)] == ["1/2026", "2/2026", "3/2026"]
    assert take(hoa_binh, marital, 2026) == "1/2026"
    assert take(other, birth, 2026) == "1/2026"
    assert take(hoa_binh, birth, 2027) == "1/2027"
    assert take(hoa_binh, birth, 2026) == "4/2026"
    book = registers.allocate(db_session, hoa_binh, birth, _at(2026, 1, 2), book=True)
    assert (book.number_text, book.book_text) == ("5/2026", "01/2026")


def test_the_year_is_the_local_year_of_issue(app, db_session):
    new_year_eve_utc = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)
    entry = registers.allocate(db_session, office(db_session), procedure(db_session, MARITAL),
                               new_year_eve_utc)
    assert entry.year == 2027  # 01:00 on 1 January in Viet Nam


def test_a_refused_issue_gives_its_number_back(app, db_session):
    d = issued_dossier(app, db_session)
    assert d.result["register"] == {"number": 1, "year": d.result["register"]["year"],
                                    "book": 1}
    second = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    assert prepare(client, second, way="rendered").status_code == 303
    client = app.test_client()
    login(client, user(db_session, "leader@demo.test"))
    assert issue(client, second, version=second.version + 7).status_code == 409  # stale
    db_session.expire_all()
    assert second.status != "done"
    assert issue(client, second).status_code == 303
    db_session.expire_all()
    assert second.result["register"]["number"] == 2


# --- the issued result ------------------------------------------------------------------------


BIRTH_ANSWERS = {
    "child_name": "Nguyễn Minh Khôi", "child_birth_date": "2026-02-20", "child_sex": "nam",
    "child_birth_place": "Bệnh viện Đa khoa tỉnh Phú Thọ", "child_ethnicity": "Kinh",
    "child_home_town": "Xã Hòa An, tỉnh Phú Thọ", "child_id_number": "025226000111",
    "mother_name": "Nguyễn Thị Hằng", "mother_id_number": "025190000123",
    "mother_birth_year": 1990, "mother_ethnicity": "Kinh",
    "mother_residence": "Tổ 5, phường Hòa Bình, tỉnh Phú Thọ", "has_father": True,
    "father_name": "Trần Văn Minh", "father_id_number": "025188000456",
    "father_birth_year": 1988, "father_ethnicity": "Tày", "father_nationality": "Việt Nam",
    "father_residence": "Tổ 5, phường Hòa Bình, tỉnh Phú Thọ", "late_registration": False,
}


def _issue_over_http(app, db_session, d):
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    assert prepare(client, d, way="rendered").status_code == 303
    db_session.expire_all()
    client = app.test_client()
    login(client, user(db_session, "leader@demo.test"))
    assert issue(client, d).status_code == 303
    db_session.expire_all()
    return d


def test_the_issued_birth_certificate_is_an_official_document(app, db_session):
    leader = user(db_session, "leader@demo.test")
    d = _issue_over_http(app, db_session, accepted_dossier(db_session, answers=BIRTH_ANSWERS))
    data = storage.path_of(app.config["UPLOAD_DIR"], d.result["sha256"]).read_bytes()
    assert sha256(data) == d.result["sha256"]
    if os.environ.get("PORTAL_KEEP_PDF"):
        with open(os.environ["PORTAL_KEEP_PDF"], "wb") as fh:
            fh.write(data)
    text = pdf_text(data)
    year = d.result["register"]["year"]
    issued = d.completed_at.astimezone(LOCAL_TZ)
    for expected in (
            "ỦY BAN NHÂN DÂN PHƯỜNG HÒA BÌNH", f"Số: 1/{year}", f"Quyển số: 01/{year}",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
            f"Hòa Bình, {official.long_date(d.completed_at)}", "GIẤY KHAI SINH",
            "NGUYỄN MINH KHÔI", "Ngày, tháng, năm sinh: 20/02/2026",
            "Ngày hai mươi, tháng hai, năm hai nghìn không trăm hai mươi sáu",
            "Giới tính: Nam; Dân tộc: Kinh; Quốc tịch: Việt Nam",
            "Quê quán: Xã Hòa An, tỉnh Phú Thọ", "Số định danh cá nhân: 025226000111",
            "Họ, chữ đệm, tên người mẹ: Nguyễn Thị Hằng",
            "Năm sinh: 1990; Dân tộc: Kinh; Quốc tịch: Việt Nam",
            "Nơi cư trú: Tổ 5, phường Hòa Bình, tỉnh Phú Thọ",
            "Họ, chữ đệm, tên người cha: Trần Văn Minh", "Năm sinh: 1988; Dân tộc: Tày",
            "Người đi đăng ký khai sinh: Nguyễn Thị Hằng; Giấy tờ tùy thân: 025190000123",
            "Nơi đăng ký khai sinh: Ủy ban nhân dân phường Hòa Bình, tỉnh Phú Thọ",
            f"Ngày, tháng, năm đăng ký: {issued:%d/%m/%Y}",
            "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH", leader.full_name,
            f"/verify/{d.verification_token}"):
        assert expected in text, expected
    assert d.code not in text and d.ref not in text and "Mã hồ sơ" not in text
    assert "Mã tra cứu" not in text and "Phường Hòa Bình, ngày" not in text


def test_the_leaders_own_title_replaces_the_catalogues_and_a_head_drops_kt(app, db_session):
    definition = {"signature": {"authority": "TM. ỦY BAN NHÂN DÂN",
                                "delegation": "KT. CHỦ TỊCH", "title": "PHÓ CHỦ TỊCH"}}
    leader = user(db_session, "leader@demo.test")
    leader.job_title = None
    assert official.signature_for(definition, leader).lines == (
        "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    leader.job_title = "Chủ tịch"
    block = official.signature_for(definition, leader)
    assert block.lines == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert block.name == leader.full_name
    assert official.signature_for({}, None).lines == ()


def test_before_issue_the_number_is_left_open(app, db_session):
    d = accepted_dossier(db_session)
    text = pdf_text(results.render_result(d, token="t" * 22))
    assert "Số: …/" in text and "Quyển số: …/" in text
    assert db_session.scalar(select(ResultRegister.id)) is None  # a preview takes no number


# --- concurrency: both engines ------------------------------------------------------------------

N = 8


def _accepted_with_prepared_results(app, n: int) -> list[str]:
    codes = []
    with app.test_request_context(), get_db(app).transaction() as session:
        for _ in range(n):
            d = accepted_dossier(session)
            issuing.prepare_rendered(session, d, user(session, "officer@demo.test"))
            codes.append(d.code)
    return codes


def test_leaders_issuing_at_once_get_distinct_gap_free_numbers(fresh_app):
    app = fresh_app()
    codes = _accepted_with_prepared_results(app, N)
    with get_db(app).transaction() as session:
        leader = user(session, "leader@demo.test")
        versions = {d.code: d.version for d in session.scalars(
            select(Dossier).where(Dossier.code.in_(codes)))}
    stale = codes[0]  # this one is refused (a stale form): its number must not be lost
    barrier = threading.Barrier(N, timeout=60)
    statuses: dict[str, int] = {}
    errors: list[BaseException] = []

    def issue_one(code: str) -> None:
        try:
            client = app.test_client()
            login(client, leader)
            url = f"/staff/dossiers/{code}/result"
            token = csrf_token(client, url)
            barrier.wait()
            version = versions[code] + (5 if code == stale else 0)
            response = client.post(f"{url}/issue", data={"csrf_token": token,
                                                          "version": version})
            statuses[code] = response.status_code
        except BaseException as exc:  # reported below, never lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=issue_one, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not errors, errors
    assert statuses[stale] == 409
    assert sorted(s for c, s in statuses.items() if c != stale) == [303] * (N - 1)
    with get_db(app).transaction() as session:
        rows = session.scalars(select(Dossier).where(Dossier.code.in_(codes))).all()
        numbers = sorted(d.result["register"]["number"] for d in rows if d.code != stale)
        assert numbers == list(range(1, N))  # no gap, no duplicate
        assert not next(d for d in rows if d.code == stale).result
        counter = session.scalar(select(ResultRegister).join(
            Procedure, Procedure.id == ResultRegister.procedure_id))
        assert counter.last_number == N - 1


def test_create_user_records_a_leaders_title_for_the_signature_block(fresh_app):
    from tests.test_cli import find_user, run_cli

    app = fresh_app()
    result = run_cli(app, "create-user", "--email", "chu.tich@example.vn", "--password",
                     "mật-khẩu-dài-2026", "--role", "leader", "--office", "000.00.04.T25",
                     "--name", "Đinh Văn Chủ", "--title", " Chủ tịch ")
    assert result.exit_code == 0, result.output
    leader = find_user(app, "chu.tich@example.vn")
    assert leader.job_title == "Chủ tịch"
    block = official.signature_for({"signature": {"authority": "TM. ỦY BAN NHÂN DÂN",
                                                  "delegation": "KT. CHỦ TỊCH"}}, leader)
    assert block.lines == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
