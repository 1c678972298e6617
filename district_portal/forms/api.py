"""Query parameters of the JSON API (GET: no CSRF). Bad values are a 400 with the message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import AnyOf, Length, Optional, ValidationError

from district_portal.forms import StripForm

LEVELS = ("full", "partial", "none")
MAX_PER_PAGE = 100


class WholeNumber:
    """A whole number from `low` to `high` typed as digits (an empty value is allowed)."""

    def __init__(self, low: int, high: int, message) -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, form, field):
        value = field.data or ""
        if value and not (value.isascii() and value.isdigit()
                          and self.low <= int(value) <= self.high):
            raise ValidationError(self.message)


class ProcedureQuery(StripForm):
    """/api/v1/procedures: search filters and paging."""

    q = StringField(validators=[Optional(), Length(max=200, message=_l(
        "q may have at most 200 characters."))])
    field = StringField(validators=[Optional(), Length(max=500, message=_l(
        "field may have at most 500 characters."))])
    level = StringField(validators=[Optional(), AnyOf(LEVELS, message=_l(
        "level must be one of full, partial, none."))])
    office = StringField(validators=[Optional(), Length(max=40, message=_l(
        "office is an agency code of at most 40 characters."))])
    page = StringField(validators=[WholeNumber(1, 10_000, _l(
        "page must be a whole number from 1 to 10000."))])
    per_page = StringField(validators=[WholeNumber(1, MAX_PER_PAGE, _l(
        "per_page must be a whole number from 1 to %(max)d.", max=MAX_PER_PAGE))])

    def first_error(self) -> str:
        for errors in self.errors.values():
            if errors:
                return str(errors[0])
        return ""

    def query(self) -> dict:
        return {"q": self.q.data or "", "field": self.field.data or "",
                "level": self.level.data or "", "office": self.office.data or "",
                "page": int(self.page.data or 1), "per_page": int(self.per_page.data or 50)}
