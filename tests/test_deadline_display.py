"""How a deadline is shown (issue 8, item 10): a deadline with no working time before it on its
day reads as the end of the last working period before it, on pages, slips and SMS alike.

Dates of late 2026 (holidays.VN): Mon 30/11, Tue 1/12; Tue 24/11 is Vietnam Cultural Day;
Wed 2/9 is National Day (Mon 31/8, Tue 1/9 are days off too). Office hours 07:00–11:30 and
13:30–17:00 unless a test says otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from district_portal.models import DossierStatus as S
from district_portal.services.calendar import deadlines
from district_portal.services.calendar.days import add_day
from district_portal.services.calendar.worktime import WorkCalendar, from_local, parse_hours
from district_portal.services.dossiers.workflow import perform
from district_portal.text import to_local
from tests.factories import create_filed_dossier, user
from tests.helpers import login, pdf_text


def local(y, m, d, hh=0, mm=0):
    return from_local(datetime(y, m, d, hh, mm))


@pytest.fixture
def cal():
    return WorkCalendar()


def test_a_deadline_at_the_opening_of_a_working_day_reads_as_the_previous_closing(cal):
    assert cal.shown_deadline(local(2026, 12, 1, 7, 0)) == local(2026, 11, 30, 17, 0)


def test_a_deadline_at_monday_opening_reads_as_friday_closing(cal):
    # Mon 7/12/2026 07:00 → Fri 4/12 17:00: the weekend holds no working time.
    assert cal.shown_deadline(local(2026, 12, 7, 7, 0)) == local(2026, 12, 4, 17, 0)


def test_a_deadline_after_a_holiday_reads_as_the_working_day_before_it(cal):
    # Wed 25/11 07:00; Tue 24/11 is a public holiday → Mon 23/11 17:00.
    assert cal.shown_deadline(local(2026, 11, 25, 7, 0)) == local(2026, 11, 23, 17, 0)
    # Thu 3/9 07:00 after the National Day break (31/8–2/9) → Fri 28/8 17:00.
    assert cal.shown_deadline(local(2026, 9, 3, 7, 0)) == local(2026, 8, 28, 17, 0)


def test_a_deadline_on_a_weekend_or_holiday_reads_as_the_last_closing_before(cal):
    assert cal.shown_deadline(local(2026, 12, 5, 10, 0)) == local(2026, 12, 4, 17, 0)
    assert cal.shown_deadline(local(2026, 11, 24, 9, 0)) == local(2026, 11, 23, 17, 0)


def test_lunch_break_and_afternoon_opening_read_as_the_morning_end(cal):
    assert cal.shown_deadline(local(2026, 12, 1, 13, 30)) == local(2026, 12, 1, 11, 30)
    assert cal.shown_deadline(local(2026, 12, 1, 12, 15)) == local(2026, 12, 1, 11, 30)


def test_a_deadline_inside_office_hours_or_at_a_closing_is_unchanged(cal):
    for at in (local(2026, 12, 1, 7, 1), local(2026, 12, 1, 9, 0), local(2026, 12, 1, 11, 30),
               local(2026, 12, 1, 13, 31), local(2026, 12, 1, 17, 0)):
        assert cal.shown_deadline(at) == at


def test_evening_and_night_read_as_that_days_closing(cal):
    assert cal.shown_deadline(local(2026, 12, 1, 20, 0)) == local(2026, 12, 1, 17, 0)
    assert cal.shown_deadline(local(2026, 12, 2, 6, 59)) == local(2026, 12, 1, 17, 0)


def test_the_rule_follows_the_offices_own_hours_and_make_up_days():
    cal = WorkCalendar(hours=parse_hours(["07:30-11:30", "13:00-16:30"]),
                       make_up_days={date(2026, 12, 5)})  # Saturday worked
    assert cal.shown_deadline(local(2026, 12, 8, 7, 30)) == local(2026, 12, 7, 16, 30)
    assert cal.shown_deadline(local(2026, 12, 7, 7, 30)) == local(2026, 12, 5, 16, 30)
    assert cal.shown_deadline(local(2026, 12, 7, 13, 0)) == local(2026, 12, 7, 11, 30)


def test_no_working_time_lies_between_a_deadline_and_how_it_is_shown(cal):
    start = local(2026, 11, 20, 0, 0)
    for minutes in range(0, 60 * 24 * 10, 37):
        due = start + timedelta(minutes=minutes)
        shown = cal.shown_deadline(due)
        assert shown <= due
        assert cal.working_time_between(shown, due) == timedelta(0)


def test_work_starts_is_the_next_opening_only_outside_office_hours(cal):
    assert cal.work_starts(local(2026, 12, 1, 9, 0)) is None
    assert cal.work_starts(local(2026, 11, 28, 10, 0)) == local(2026, 11, 30, 7, 0)  # Saturday
    assert cal.work_starts(local(2026, 12, 1, 12, 0)) == local(2026, 12, 1, 13, 30)  # lunch
    assert cal.work_starts(local(2026, 11, 23, 21, 0)) == local(2026, 11, 25, 7, 0)  # holiday


def test_format_deadline_writes_time_then_day(app):
    with app.test_request_context():
        assert deadlines.format_deadline(local(2026, 11, 30, 17, 0)) == "17:00 ngày 30/11/2026"
        assert deadlines.format_deadline(None) == ""


# --- the same text on the staff page, the resident page, the receipt and the SMS -------------


def _accepted_out_of_hours(sess):
    """Accepted at 20:00 Mon 30/11/2026: the clock starts at 07:00 Tue; marriage registration
    takes 5 working days → due 07:00 Tue 8/12, shown as 17:00 Mon 7/12."""
    dossier = create_filed_dossier(sess)
    perform(sess, dossier, "accept", user(sess, "clerk@demo.test"),
            now=local(2026, 11, 30, 20, 0))
    assert dossier.status == S.ACCEPTED
    assert dossier.due_at == local(2026, 12, 8, 7, 0)
    return dossier


def test_an_out_of_hours_acceptance_shows_the_previous_closing_everywhere(app, client, sess):
    from sqlalchemy import select

    from district_portal.models import Notification

    dossier = _accepted_out_of_hours(sess)
    sess.commit()
    shown = "17:00 ngày 07/12/2026"
    sms = sess.scalars(select(Notification).where(Notification.dossier_id == dossier.id,
                                                  Notification.channel == "sms")).all()
    assert any(shown in n.text for n in sms), [n.text for n in sms]
    login(client, user(sess, "clerk@demo.test"))
    page = client.get(f"/staff/dossiers/{dossier.code}").get_data(as_text=True)
    assert shown in page and "08/12/2026" not in page
    slip = client.get(f"/staff/dossiers/{dossier.code}/slips/receipt.pdf")
    assert slip.status_code == 200
    assert "17 giờ 00 phút, ngày 07 tháng 12 năm 2026" in pdf_text(slip.data)  # form 01's way
    login(client, user(sess, "resident@demo.test"))
    mine = client.get(f"/my/dossiers/{dossier.public_id}").get_data(as_text=True)
    assert shown in mine


def test_a_dossier_filed_outside_working_hours_says_when_the_office_starts(app, client, sess):
    dossier = create_filed_dossier(sess)
    dossier.submitted_at = local(2026, 11, 28, 10, 0)  # a Saturday
    sess.commit()
    login(client, user(sess, "resident@demo.test"))
    mine = client.get(f"/my/dossiers/{dossier.public_id}").get_data(as_text=True)
    assert "07:00 ngày 30/11/2026" in mine
    slip = client.get(f"/my/dossiers/{dossier.public_id}/slips/receipt.pdf")
    assert slip.status_code == 200
    text = " ".join(pdf_text(slip.data).split())
    assert "bắt đầu xử lý từ 07:00 ngày 30/11/2026" in text
    # The missing space of "(chậm nhất …)và".
    assert ") và thông báo" in text
    login(client, user(sess, "clerk@demo.test"))
    staff_page = client.get(f"/staff/dossiers/{dossier.code}").get_data(as_text=True)
    assert "07:00 ngày 30/11/2026" in staff_page


def test_a_dossier_filed_during_office_hours_says_nothing_about_it(app, client, sess):
    dossier = create_filed_dossier(sess)
    dossier.submitted_at = local(2026, 11, 27, 9, 0)  # Friday morning
    sess.commit()
    login(client, user(sess, "resident@demo.test"))
    mine = client.get(f"/my/dossiers/{dossier.public_id}").get_data(as_text=True)
    assert "ngoài giờ làm việc" not in mine
    assert to_local(dossier.submitted_at).hour == 9


def test_an_office_day_off_moves_the_shown_deadline(app, sess):
    dossier = _accepted_out_of_hours(sess)
    add_day(sess, date(2026, 12, 7), "off")  # Monday 7/12 becomes a day off
    assert deadlines.due_text(sess, dossier) == "17:00 ngày 04/12/2026"
