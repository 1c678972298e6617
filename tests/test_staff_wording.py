"""Staff pages say what they mean (issue 8, item 18): submission and acceptance dates and
deadlines under their own names, "người nộp" rather than "bạn", the filing confirmation named
as such before acceptance, and a search that finds parts of codes in any case."""

from __future__ import annotations

import re

from district_portal.codes import check_char, format_ref
from district_portal.models import DossierStatus as S
from district_portal.text import format_datetime
from tests.factories import create_filed_dossier, user
from tests.helpers import login, post_action

FORM_01 = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (mẫu 01)"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _fact(html: str, label: str) -> str | None:
    match = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>(.*?)</dd>", html, re.S)
    return _text(match.group(1)).strip() if match else None


def test_the_dossier_page_names_submission_acceptance_and_both_deadlines(client, sess):
    d = create_filed_dossier(sess)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    html = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert _fact(html, "Ngày nộp").startswith(format_datetime(d.submitted_at))
    assert _fact(html, "Hạn tiếp nhận")
    assert _fact(html, "Ngày tiếp nhận") is None and _fact(html, "Hạn giải quyết") is None
    # Before acceptance the slip is the filing confirmation, not form 01.
    assert "Xác nhận nộp hồ sơ trực tuyến" in html and FORM_01 not in html

    assert post_action(client, d, "accept").status_code == 303
    sess.expire_all()
    html = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert _fact(html, "Ngày nộp").startswith(format_datetime(d.submitted_at))
    assert _fact(html, "Ngày tiếp nhận") == format_datetime(d.accepted_at)
    assert _fact(html, "Hạn giải quyết")
    assert _fact(html, "Hạn tiếp nhận") is None
    assert FORM_01 in html and "Xác nhận nộp hồ sơ trực tuyến" not in html


def test_staff_read_about_the_applicant_not_you(client, sess):
    d = create_filed_dossier(sess, status=S.ACCEPTED)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    text = _text(client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True))
    assert not re.search(r"\b[Bb]ạn\b", text), re.findall(r".{40}\b[Bb]ạn\b.{20}", text)
    assert "Người nộp với tư cách" in text
    assert "Xã/phường nơi người nộp cư trú" in text


def test_the_inbox_columns_say_submitted_and_which_deadline(client, sess):
    waiting = create_filed_dossier(sess)
    accepted = create_filed_dossier(sess, status=S.ACCEPTED)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    html = client.get("/staff/inbox?tab=all").get_data(as_text=True)
    headers = re.findall(r'<th scope="col">\s*(.*?)</th>', html, re.S)
    assert [h.strip() for h in headers][3:5] == ["Ngày nộp", "Thời hạn"]
    row = {d.code: html.split(d.code, 2)[2].split("</tr>")[0] for d in (waiting, accepted)}
    assert "Tiếp nhận: " in row[waiting.code]
    assert "Giải quyết: " in row[accepted.code]


def test_staff_search_finds_parts_of_codes_and_tracking_codes_in_any_case(client, sess):
    one = create_filed_dossier(sess)
    two = create_filed_dossier(sess)
    two.ref = "7DPWABC" + check_char("7DPWABC")
    one.ref = "3456789" + check_char("3456789")
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))

    def found(q):
        page = client.get("/staff/inbox", query_string={"tab": "all", "q": q})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        return {d.code for d in (one, two) if d.code in html}

    date_and_number = one.code.split("-", 1)[1]  # "261128-0001"
    assert found(date_and_number) == {one.code}
    assert found(one.code.lower()) == {one.code}
    assert found("7dpw") == {two.code}
    assert found("pwab") == {two.code}  # no digit: a name word or a part of a tracking code
    assert found(format_ref(two.ref)[2:7].lower()) == {two.code}  # across the dash
    assert found("4567") == {one.code}  # digits too few for a phone number
    assert found(two.ref.lower()) == {two.code}
    assert found("999999-9999") == set()
