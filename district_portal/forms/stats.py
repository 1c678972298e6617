"""Forms of the statistics pages: GET filters, checked by services.stats (its messages)."""

from __future__ import annotations

from wtforms import StringField

from district_portal.forms import StripForm


class StatsFilterForm(StripForm):
    """Period (dd/mm/yyyy or yyyy-mm-dd) and office (agency code); kept as typed."""

    start = StringField(filters=[lambda v: v[:40] if isinstance(v, str) else v])
    end = StringField(filters=[lambda v: v[:40] if isinstance(v, str) else v])
    office = StringField(filters=[lambda v: v[:40] if isinstance(v, str) else v])

    def args(self) -> dict:
        """The filters as typed, for links (CSV downloads) that repeat them."""
        return {k: v for k, v in (("start", self.start.data), ("end", self.end.data),
                                  ("office", self.office.data)) if v}
