"""Admin console section: the calendar (issue 13). A year view of one office's working days
(or the province-wide days), and adding or removing an extra day off or make-up working day.
A province admin manages the province-wide days and every office of the province, a commune
admin their own office's days."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from district_portal import access, db
from district_portal.forms.admin_records import (
    PROVINCE_WIDE,
    CalendarDayForm,
    CalendarRemoveForm,
    office_choices,
)
from district_portal.services.admin import calendar as admin_calendar
from district_portal.services.admin.calendar import CalendarAdminError
from district_portal.views.admin import bp, section

section("admin.calendar", _l("Calendar"),
        _l("Extra days off and make-up working days, beside the public holidays; a year view."))

UNKNOWN = object()


def _offices():
    return admin_calendar.scope_offices(db.session(), current_user)


def _resolve(code: str, offices):
    """The office an admin chose: None for the province-wide days, UNKNOWN when it is not one
    they administer."""
    if code == PROVINCE_WIDE:
        return None if access.can_administer_office(current_user, None) else UNKNOWN
    found = next((o for o in offices if o.agency_code == code), None)
    if found is None or not access.can_administer_office(current_user, found):
        return UNKNOWN
    return found


def _default_code() -> str:
    if access.is_province_admin(current_user):
        return PROVINCE_WIDE
    return current_user.office.agency_code


def _year(value) -> int:
    years = admin_calendar.year_range()
    try:
        year = int(value)
    except (TypeError, ValueError):
        return years[0] + admin_calendar.YEARS_BACK
    if year not in years:
        abort(404)
    return year


def _page(form, code: str, year: int, offices, status: int = 200):
    office = _resolve(code, offices)
    if office is UNKNOWN:
        abort(404)
    view = admin_calendar.year_view(db.session(), office, year)
    form.office.choices = office_choices(offices, access.is_province_admin(current_user))
    return render_template("admin/calendar/year.html", form=form, view=view, code=code,
                           years=admin_calendar.year_range(), remove=CalendarRemoveForm(),
                           province_wide=PROVINCE_WIDE), status


@bp.get("/calendar/")
def calendar():
    code = request.args.get("office") or _default_code()
    year = _year(request.args.get("year"))
    form = CalendarDayForm(formdata=None, office=code)
    return _page(form, code, year, _offices())


@bp.post("/calendar/")
def calendar_add():
    offices = _offices()
    form = CalendarDayForm()
    code = form.office.data or _default_code()
    office = _resolve(code, offices)
    valid = form.validate_on_submit()
    if office is UNKNOWN:
        form.office.errors = [gettext("You do not administer this office: choose one of the list.")]
    elif valid:
        try:
            admin_calendar.add(db.session(), current_user, office, form.day.data,
                               form.kind.data, form.note.data or "")
        except CalendarAdminError as exc:
            getattr(form, exc.field).errors = [exc.message]
        else:
            flash(gettext("Day saved."), "success")
            return redirect(url_for("admin.calendar", office=code, year=form.day.data.year), 303)
    year = form.day.data.year if form.day.data and form.day.data.year in \
        admin_calendar.year_range() else _year(None)
    return _page(form, code if office is not UNKNOWN else _default_code(), year, offices, 400)


@bp.post("/calendar/remove")
def calendar_remove():
    form = CalendarRemoveForm()
    if not form.validate_on_submit():
        abort(400)
    code = form.office.data or _default_code()
    office = _resolve(code, _offices())
    if office is UNKNOWN:
        abort(404)
    try:
        admin_calendar.remove(db.session(), current_user, office, form.day.data)
    except CalendarAdminError:
        abort(404)
    flash(gettext("Day removed."), "success")
    return redirect(url_for("admin.calendar", office=code, year=form.day.data.year), 303)
