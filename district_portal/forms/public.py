"""Forms of the public pages."""

from __future__ import annotations

from wtforms import IntegerField, StringField
from wtforms.validators import NumberRange, Optional

from district_portal.forms import StripForm

LEVELS = ("full", "partial", "none")


class CatalogSearchForm(StripForm):
    """The catalogue's GET filters; bad values fall back to defaults, never an error page."""

    q = StringField()
    field = StringField()
    level = StringField()
    office = StringField()
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=10_000)])

    def filters(self) -> dict:
        """Valid filter values only."""
        self.validate()
        return {
            "q": (self.q.data or "")[:200],
            "field": (self.field.data or "")[:200],
            "level": self.level.data if self.level.data in LEVELS else "",
            "office": (self.office.data or "")[:40],
            "page": self.page.data if (self.page.data and not self.page.errors) else 1,
        }
