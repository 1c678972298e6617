"""Counter intake end to end, the idle timeout, and the calendar days (CLI and admin page)."""

from __future__ import annotations

import re
import time
from datetime import date

from district_portal.db import get_db
from district_portal.models import Dossier
from district_portal.services.calendar.days import calendar_for
from tests.factories import MARRIAGE, OFFICE, pdf_upload, staff, staff_applicant_answers, user
from tests.helpers import csrf_token, login


def test_a_clerk_files_a_walk_in_dossier_at_the_counter(client, sess):
    clerk = user(sess, "clerk@demo.test")
    login(client, clerk)
    token = csrf_token(client, "/staff/counter")
    started = client.post("/staff/counter", data={"csrf_token": token, "procedure": MARRIAGE})
    assert started.status_code == 303
    edit_url = started.headers["Location"]
    public_id = re.search(r"/staff/counter/(\w+)/edit", edit_url).group(1)
    answers = {**staff_applicant_answers(name="Đinh Văn Khách", phone="0977 111 222"),
               "husband_name": "Đinh Văn Khách", "husband_id_number": "001234567890",
               "wife_name": "Phạm Thị Vợ", "wife_id_number": "001234567899",
               "contact_phone": "0977 111 222", "csrf_token": token}
    answers.pop("applicant_office")
    saved = client.post(edit_url, data=answers)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/documents")
    # Another office's clerk and residents cannot see the counter draft.
    other = client.application.test_client()
    login(other, staff(sess, "clerk"))
    sess.commit()
    assert other.get(edit_url).status_code == 404
    uploaded = client.post(f"/staff/counter/{public_id}/documents/xac_nhan_hon_nhan",
                           data={"csrf_token": token, "xac_nhan_hon_nhan": pdf_upload()},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 303
    review = client.get(f"/staff/counter/{public_id}/review").get_data(as_text=True)
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', review).group(1)
    submitted = client.post(f"/staff/counter/{public_id}/submit",
                            data={"csrf_token": token, "nonce": nonce})
    assert submitted.status_code == 303
    sess.expire_all()
    d = sess.query(Dossier).filter_by(public_id=public_id).one()
    assert submitted.headers["Location"].endswith(f"/staff/dossiers/{d.code}")
    assert d.status == "submitted" and d.channel == "counter"
    assert d.applicant_user_id is None and d.applicant["name"] == "Đinh Văn Khách"
    assert d.receiving_office.agency_code == OFFICE and d.code.startswith(OFFICE)
    assert d.applicant_phone == "+84977111222" and d.intake_due_at is None
    page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert "Đinh Văn Khách" in page and 'id="act-accept"' in page


def test_an_idle_staff_session_is_logged_out_with_a_vietnamese_message(client, sess):
    login(client, user(sess, "clerk@demo.test"))
    assert client.get("/staff/inbox").status_code == 200
    with client.session_transaction() as s:
        s["staff_seen"] = int(time.time()) - 29 * 60
    assert client.get("/staff/inbox").status_code == 200
    with client.session_transaction() as s:
        s["staff_seen"] = int(time.time()) - 31 * 60
    response = client.get("/staff/inbox")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    with client.session_transaction() as s:
        assert "_user_id" not in s
        messages = [m for _c, m in s.get("_flashes", [])]
    assert any("đăng xuất sau 30 phút không thao tác" in m for m in messages)
    assert client.get("/staff/inbox").status_code == 302


def test_calendar_day_cli_adds_lists_and_removes_days(fresh_app):
    app = fresh_app()
    runner = app.test_cli_runner()
    added = runner.invoke(args=["portal", "calendar-day", "add", "--date", "2026-12-24",
                                "--kind", "off", "--office", OFFICE, "--note", "Nghỉ bù"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(args=["portal", "calendar-day", "add", "--date", "2026-12-26",
                               "--kind", "work"]).exit_code == 0
    listed = runner.invoke(args=["portal", "calendar-day", "list"])
    assert "2026-12-24  off" in listed.output and OFFICE in listed.output
    assert "2026-12-26  work" in listed.output
    with get_db(app).transaction() as session:
        from district_portal.models import Office

        office = session.query(Office).filter_by(agency_code=OFFICE).one()
        cal = calendar_for(session, office)
        assert not cal.is_working_day(date(2026, 12, 24))
        assert cal.is_working_day(date(2026, 12, 26))
    bad = runner.invoke(args=["portal", "calendar-day", "add", "--date", "2026-12-24",
                              "--kind", "off", "--office", "NOPE"])
    assert bad.exit_code == 1 and "NOPE" in bad.output
    removed = runner.invoke(args=["portal", "calendar-day", "remove", "--date", "2026-12-24",
                                  "--office", OFFICE])
    assert removed.exit_code == 0
    assert "2026-12-24" not in runner.invoke(args=["portal", "calendar-day", "list"]).output
    again = runner.invoke(args=["portal", "calendar-day", "remove", "--date", "2026-12-24",
                                "--office", OFFICE])
    assert again.exit_code == 1


def test_an_admin_adds_and_removes_a_day_off_on_the_calendar_page(client, sess):
    # The page moved to the admin console (issue 13); the province admin sets province days.
    login(client, user(sess, "admin.tinh@demo.test"))
    token = csrf_token(client, "/admin/calendar/")
    saved = client.post("/admin/calendar/", data={"csrf_token": token, "day": "2026-12-31",
                                                  "kind": "off", "office": "*", "note": "Tết"})
    assert saved.status_code == 303
    page = client.get("/admin/calendar/?year=2026").get_data(as_text=True)
    assert "31/12/2026" in page and "Ngày nghỉ thêm" in page
    assert not calendar_for(sess, None).is_working_day(date(2026, 12, 31))
    removed = client.post("/admin/calendar/remove",
                          data={"csrf_token": token, "day": "2026-12-31", "office": "*"})
    assert removed.status_code == 303
    assert "31/12/2026" not in client.get("/admin/calendar/?year=2026").get_data(as_text=True)
