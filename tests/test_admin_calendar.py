"""The admin console's calendar (issue 13, item 5): the year view, adding and removing days
(audited), every refusal, and who may manage which office's days."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from district_portal.models import AuditEntry, CalendarDay
from district_portal.services.admin import calendar as admin_calendar
from tests.factories import DEMO_OFFICE, OTHER_OFFICE, office, user
from tests.helpers import ClientRequest, login

YEAR = admin_calendar.year_range()[admin_calendar.YEARS_BACK]  # this year


def _first(weekday: int, month: int, year: int = YEAR) -> date:
    """The first `weekday` (0 = Monday) of the month; June and July have no public holiday."""
    d = date(year, month, 1)
    return d + timedelta(days=(weekday - d.weekday()) % 7)


SATURDAY = _first(5, 6)
TUESDAY = _first(1, 7)
SUNDAY = _first(6, 7)


def _client(app, session, email) -> ClientRequest:
    client = app.test_client()
    login(client, user(session, email))
    return ClientRequest(client)


@pytest.fixture
def province(app, session):
    return _client(app, session, "admin.tinh@demo.test")


@pytest.fixture
def commune(app, session):
    return _client(app, session, "admin@demo.test")


def _cell(page, day: date) -> str:
    """The <td> of `day` in its month's grid (classes and title)."""
    month = page.html.split(f">{_month_caption(day)}</caption>", 1)[1].split("</table>", 1)[0]
    match = re.search(rf'<td class="([^"]*)"(?: title="([^"]*)")?>{day.day}</td>', month)
    assert match, (day, month[:500])
    return f"{match.group(1)} | {match.group(2) or ''}"


def _month_caption(day: date) -> str:
    return f"Tháng {day.month}"


def _add(rc, page_url="/admin/calendar/", expected_status=None, expected_redirect=None,
         **data):
    return rc.post("/admin/calendar/", data=data, form_page=page_url,
                   expected_status=expected_status, expected_redirect=expected_redirect)


def test_the_year_view_shows_holidays_weekends_and_entered_days(province, session):
    _add(province, day=SATURDAY.isoformat(), kind="work", office="*", note="Làm bù",
         expected_redirect="/admin/calendar/")
    _add(province, day=TUESDAY.isoformat(), kind="off", office=DEMO_OFFICE, note="Bầu cử",
         expected_redirect="/admin/calendar/")
    page = province.get(f"/admin/calendar/?office={DEMO_OFFICE}&year={YEAR}")
    assert "holiday" in _cell(page, date(YEAR, 1, 1)) and "Tết Dương lịch" in _cell(
        page, date(YEAR, 1, 1))
    assert "weekend" in _cell(page, SUNDAY) and "closed" in _cell(page, SUNDAY)
    assert "entered-work" in _cell(page, SATURDAY) and "closed" not in _cell(page, SATURDAY)
    assert "Làm bù" in _cell(page, SATURDAY)
    assert "entered-off" in _cell(page, TUESDAY) and "closed" in _cell(page, TUESDAY)
    assert "Ngày làm bù" in page.text() and "Ngày lễ" in page.text()  # the legend
    assert len(page.findall(".//div[@class='year']/table")) == 12
    # The province-wide view shows the province's day but not the office's own.
    wide = province.get(f"/admin/calendar/?office=*&year={YEAR}")
    assert "entered-work" in _cell(wide, SATURDAY) and "entered-off" not in _cell(wide, TUESDAY)
    # Year navigation.
    assert f"year={YEAR + 1}" in page.html and f"year={YEAR - 1}" in page.html
    province.get(f"/admin/calendar/?year={YEAR + 50}", expected_status=404)


def test_adding_and_removing_a_day_is_audited(commune, session):
    _add(commune, day=TUESDAY.isoformat(), kind="off", office=DEMO_OFFICE, note="Bầu cử",
         expected_redirect=f"/admin/calendar/?office={DEMO_OFFICE}&year={YEAR}")
    home = office(session)
    row = session.scalar(select(CalendarDay).where(CalendarDay.day == TUESDAY,
                                                   CalendarDay.office_id == home.id))
    assert row.kind == "off" and row.note == "Bầu cử"
    added = session.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.add"))
    assert added.office_id == home.id and added.target_ref == f"{DEMO_OFFICE} {TUESDAY}"
    assert added.after == {"day": TUESDAY.isoformat(), "kind": "off", "note": "Bầu cử"}
    assert added.before is None and added.actor_name.startswith("Phạm Quản Trị")
    commune.post("/admin/calendar/remove", data={"day": TUESDAY.isoformat(),
                                                 "office": DEMO_OFFICE},
                 form_page="/admin/calendar/", expected_redirect="/admin/calendar/")
    session.expire_all()
    assert session.scalar(select(CalendarDay).where(CalendarDay.day == TUESDAY)) is None
    removed = session.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.remove"))
    assert removed.before["kind"] == "off" and removed.after is None
    # Removing it again: nothing to remove.
    again = commune.post("/admin/calendar/remove", data={"day": TUESDAY.isoformat(),
                                                         "office": DEMO_OFFICE},
                         form_page="/admin/calendar/")
    assert again.status == 404


@pytest.mark.parametrize(("data", "message"), [
    ({"day": TUESDAY.isoformat(), "kind": "work"}, "đã là ngày làm việc"),
    ({"day": SUNDAY.isoformat(), "kind": "off"}, "đã là ngày nghỉ"),
    ({"day": date(YEAR, 1, 1).isoformat(), "kind": "off"}, "đã là ngày nghỉ"),
    ({"day": date(YEAR + 10, 7, 7).isoformat(), "kind": "off"}, "Hãy chọn ngày trong khoảng"),
    ({"day": "", "kind": "off"}, "Nhập ngày"),
    ({"day": "31/02/2026", "kind": "off"}, ""),
    ({"day": TUESDAY.isoformat(), "kind": "holiday"}, ""),
    ({"day": TUESDAY.isoformat(), "kind": "off", "office": OTHER_OFFICE}, "không quản trị"),
    ({"day": TUESDAY.isoformat(), "kind": "off", "office": "*"}, "không quản trị"),
])
def test_refusals_keep_what_was_typed(commune, session, data, message):
    data = {"office": DEMO_OFFICE, "note": "Ghi chú đã gõ", **data}
    page = _add(commune, expected_status=400, **data)
    assert page.findall(".//span[@class='error-msg']"), page.html[:3000]
    if message:
        assert re.search(message, page.text()), page.text()[:2000]
    assert page.value("note") == "Ghi chú đã gõ"
    if data["day"][:4].isdigit():
        assert page.value("day") == data["day"]
    assert session.scalar(select(CalendarDay).where(CalendarDay.note == "Ghi chú đã gõ")) is None
    assert session.scalar(select(AuditEntry)) is None


def test_a_make_up_day_on_a_day_off_turns_it_around(province, session):
    _add(province, day=TUESDAY.isoformat(), kind="off", office="*",
         expected_redirect="/admin/calendar/")
    _add(province, day=TUESDAY.isoformat(), kind="off", office="*", expected_status=400)
    _add(province, day=TUESDAY.isoformat(), kind="work", office="*",
         expected_redirect="/admin/calendar/")
    rows = session.scalars(select(CalendarDay).where(CalendarDay.day == TUESDAY)).all()
    assert [r.kind for r in rows] == ["work"]
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last.before["kind"] == "off" and last.after["kind"] == "work"
    assert last.office_id == office(session, "000.00.00.T25").id  # the province's entry


def test_a_commune_admin_sees_and_changes_only_their_office(app, commune, province, session):
    page = commune.get("/admin/calendar/")
    assert page.value("office") == DEMO_OFFICE
    add_form = page.find(".//form[@action='/admin/calendar/'][@method='post']")
    options = [o.get("value") for o in add_form.findall(".//select[@name='office']/option")]
    assert options == [DEMO_OFFICE]
    commune.get(f"/admin/calendar/?office={OTHER_OFFICE}", expected_status=404)
    commune.get("/admin/calendar/?office=*", expected_status=404)
    # A province-wide day is shown to the commune admin but not theirs to remove.
    _add(province, day=SATURDAY.isoformat(), kind="work", office="*",
         expected_redirect="/admin/calendar/")
    shown = commune.get(f"/admin/calendar/?year={YEAR}")
    assert "(do tỉnh đặt)" in shown.text()
    refused = commune.post("/admin/calendar/remove", data={"day": SATURDAY.isoformat(),
                                                           "office": "*"},
                           form_page="/admin/calendar/")
    assert refused.status == 404
    other = commune.post("/admin/calendar/remove", data={"day": SATURDAY.isoformat(),
                                                         "office": OTHER_OFFICE},
                         form_page="/admin/calendar/")
    assert other.status == 404
    # The province admin manages every office of the province.
    province.get(f"/admin/calendar/?office={OTHER_OFFICE}")


def test_non_admins_get_404_and_the_old_page_redirects(app, session, commune):
    clerk = _client(app, session, "clerk@demo.test")
    clerk.get("/admin/calendar/", expected_status=404)
    clerk.get("/staff/calendar", expected_status=404)
    old = commune.client.get("/staff/calendar")
    assert old.status_code == 301 and old.headers["Location"].endswith("/admin/calendar/")
    anon = app.test_client().get("/admin/calendar/")
    assert anon.status_code == 302 and "/account/login" in anon.headers["Location"]


def test_the_pages_read_in_english_too(province):
    province.client.set_cookie("lang", "en")
    for url in ("/admin/calendar/", "/admin/catalogue/", "/admin/audit/"):
        page = province.get(url)
        assert page.find(".").get("lang") == "en", url
    assert "Make-up working day" in province.get("/admin/calendar/").text()
