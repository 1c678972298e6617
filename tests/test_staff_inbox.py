"""The inbox: tab counts, search by every key, keyset pagination, size budget."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

from district_portal.codes import format_ref
from district_portal.models import DossierStatus as S
from district_portal.models.types import utcnow
from district_portal.services.dossiers import inbox
from tests.factories import MARITAL, OTHER_OFFICE, create_filed_dossier, user
from tests.helpers import login, scripts

SAME_DAY = "1.000656"  # Đăng ký khai tử: due the same working day


def _clerk(client, sess):
    clerk = user(sess, "clerk@demo.test")
    login(client, clerk)
    return clerk


def _counts(client):
    page = client.get("/staff/inbox").get_data(as_text=True)
    return {key: int(n) for key, n in re.findall(r"tab=(\w+)[^>]*>[^<(]*\((\d+)\)", page)}


def test_tab_counts_are_right_for_a_mix_of_statuses(client, sess):
    now = utcnow()
    create_filed_dossier(sess)
    late_intake = create_filed_dossier(sess)
    late_intake.intake_due_at = now - timedelta(hours=1)
    create_filed_dossier(sess, status=S.ACCEPTED, now=now - timedelta(days=30))  # overdue
    create_filed_dossier(sess, status=S.IN_PROGRESS)
    create_filed_dossier(sess, status=S.ACCEPTED, code=SAME_DAY)  # due within a working day
    create_filed_dossier(sess, status=S.SUPPLEMENT_REQUESTED)
    create_filed_dossier(sess, status=S.PAYMENT_REQUESTED, code=MARITAL)
    create_filed_dossier(sess, status=S.DONE)
    create_filed_dossier(sess, status=S.RETURNED)
    create_filed_dossier(sess, status=S.NOT_ACCEPTED)
    create_filed_dossier(sess, office=OTHER_OFFICE)  # another commune's: never counted here
    sess.commit()
    _clerk(client, sess)
    assert _counts(client) == {"new": 2, "intake_overdue": 1, "in_progress": 3,
                               "supplement": 1, "payment": 1, "due_soon": 2, "overdue": 1,
                               "done": 1, "all": 10}
    overdue = client.get("/staff/inbox?tab=overdue").get_data(as_text=True)
    assert overdue.count('class="late"') == 1
    row = overdue.split('<tr class="late">')[1].split("</tr>")[0]
    assert "<td>Đã tiếp nhận <strong class=\"mark\">Quá hạn</strong></td>" in row, row
    everything = client.get("/staff/inbox?tab=all").get_data(as_text=True)
    for label in ("Chờ tiếp nhận", "Đang xử lý", "Yêu cầu bổ sung", "Đã có kết quả"):
        assert f"<td>{label}</td>" in everything, label


def test_search_finds_by_code_ref_name_without_diacritics_and_phone(client, sess):
    an = create_filed_dossier(sess, name="Nguyễn Văn An", phone="0912 345 678")
    hoa = create_filed_dossier(sess, name="Lê Thị Hoa", phone="0987 654 321", code=MARITAL)
    sess.commit()
    _clerk(client, sess)

    def found(**params):
        page = client.get("/staff/inbox", query_string={"tab": "all", **params})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        return {d.code for d in (an, hoa) if d.code in html}

    assert found(q=an.code) == {an.code}
    assert found(q=format_ref(hoa.ref).lower()) == {hoa.code}
    assert found(q="le thi hoa") == {hoa.code}
    assert found(q="NGUYEN van") == {an.code}
    assert found(q="+84987654321") == {hoa.code}
    assert found(q="0912.345.678") == {an.code}
    assert found(procedure=MARITAL) == {hoa.code}
    today = utcnow().astimezone(inbox.LOCAL_TZ).date()
    assert found(date_from=today.isoformat(), date_to=today.isoformat()) == {an.code, hoa.code}
    assert found(date_from=(today + timedelta(days=1)).isoformat()) == set()


def _walk(sess, query, per_page):
    ids, keys, seen_cursors = [], [], 0
    ids_of = {1}
    office = user(sess, "clerk@demo.test").office
    while ids_of:
        page = inbox.inbox_page(sess, {office.id}, office, query, per_page=per_page)
        ids_of = [d.id for d in page.rows]
        ids += ids_of
        keys += [(d.due_at is None, d.due_at, d.id) for d in page.rows]
        if not page.next_cursor:
            break
        assert not page.next_cursor.isdigit()  # a signed token, not a bare row number
        query.cursor = page.next_cursor
        seen_cursors += 1
    return ids, keys, seen_cursors


def test_keyset_pagination_returns_every_dossier_once_in_due_order(client, sess):
    start = utcnow() - timedelta(days=10)
    made = []
    for i in range(60):
        status = S.SUBMITTED if i % 4 == 0 else S.ACCEPTED
        # Several dossiers accepted at the same moment share a due time: ties go by id.
        made.append(create_filed_dossier(sess, status=status, now=start + timedelta(hours=i // 3)))
    sess.commit()
    ids, keys, pages = _walk(sess, inbox.InboxQuery(tab="all"), per_page=7)
    assert sorted(ids) == sorted(d.id for d in made) and len(ids) == len(set(ids)) == 60
    assert keys == sorted(keys, key=lambda k: (k[0], k[1] or start, k[2]))
    assert pages == 8

    _clerk(client, sess)
    first = client.get("/staff/inbox?tab=all").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" rel="next"|rel="next" href="([^"]+)"', first)
    url = (link.group(1) or link.group(2)).replace("&amp;", "&")
    assert re.search(r"after=[\w.-]{20,}", url)
    second = client.get(url).get_data(as_text=True)
    on_first = {d.code for d in made if d.code in first}
    on_second = {d.code for d in made if d.code in second}
    assert len(on_first) == 50 and len(on_second) == 10 and not on_first & on_second
    assert 'rel="next"' not in second


def test_a_forged_cursor_starts_from_the_first_page(client, sess):
    create_filed_dossier(sess)
    sess.commit()
    _clerk(client, sess)
    assert client.get("/staff/inbox?tab=all&after=WzEsMl0").status_code == 200


def test_dates_out_of_any_real_range_are_refused_not_a_server_error(client, sess):
    create_filed_dossier(sess)
    sess.commit()
    _clerk(client, sess)
    for day in ("0001-01-01", "9999-12-31"):
        response = client.get(f"/staff/inbox?tab=all&date_from={day}&date_to={day}")
        assert response.status_code == 200, day
        assert 'class="error-msg"' in response.get_data(as_text=True), day


def test_drafts_never_appear_in_the_inbox(client, sess):
    from district_portal.services.dossiers import filing
    from tests.factories import procedure

    draft = filing.start_draft(sess, user(sess, "resident@demo.test"), procedure(sess))
    sess.commit()
    _clerk(client, sess)
    assert _counts(client)["all"] == 0
    assert draft.public_id not in client.get("/staff/inbox?tab=all").get_data(as_text=True)


def test_staff_pages_fit_30_kb_gzipped_and_need_no_script(client, sess):
    made = [create_filed_dossier(sess, status=S.IN_PROGRESS) for _ in range(55)]
    sess.commit()
    _clerk(client, sess)
    for url in ("/staff/inbox?tab=all", "/staff/worklist", f"/staff/dossiers/{made[0].code}",
                "/staff/counter"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data()
        assert not scripts(html), url
        assert len(gzip.compress(html)) <= 30 * 1024, url


def test_worklist_lists_overdue_and_results_to_return(client, sess):
    late = create_filed_dossier(sess, status=S.ACCEPTED, now=utcnow() - timedelta(days=30))
    done = create_filed_dossier(sess, status=S.DONE)
    waiting = create_filed_dossier(sess, status=S.SUPPLEMENT_REQUESTED)
    sess.commit()
    _clerk(client, sess)
    page = client.get("/staff/worklist").get_data(as_text=True)
    for d in (late, done, waiting):
        assert d.code in page
