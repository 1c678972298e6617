"""Forms of the admin console's calendar, catalogue import and audit-log pages (issue 13)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from district_portal.forms import PortalForm, StripForm
from district_portal.forms.staff import PlausibleDate

PROVINCE_WIDE = "*"  # the office choice for the province-wide days (an empty one means "none")


def office_choices(offices, province_wide: bool) -> list[SelectChoice]:
    first = [SelectChoice(PROVINCE_WIDE, _l("Every office of the province"))] \
        if province_wide else []
    return first + [SelectChoice(o.agency_code, o.name) for o in offices]


class CalendarDayForm(PortalForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date.")), PlausibleDate()])
    kind = SelectField(_l("Kind of day"), choices=[
        SelectChoice("off", _l("Extra day off")), SelectChoice("work", _l("Make-up working day"))],
        validators=[InputRequired(_l("Choose the kind of day."))])
    # Checked by the view against the admin's offices (a refused office gets its own message).
    office = SelectField(_l("Office"), choices=[], validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class CalendarRemoveForm(PortalForm):
    day = DateField(validators=[InputRequired()])
    office = HiddenField()


class CatalogueImportForm(PortalForm):
    file = FileField(_l("Catalogue file (JSON)"))


class AuditFilterForm(StripForm):
    """GET filters of the audit log (no CSRF: it changes nothing)."""

    action = SelectField(_l("Action"), choices=[], validate_choice=False,
                         validators=[Optional()])
    kind = SelectField(_l("Kind of target"), choices=[], validate_choice=False,
                       validators=[Optional()])
    actor = StringField(_l("Who (name or email)"), validators=[Optional(), Length(max=100)])
    target = StringField(_l("Target (code or reference)"),
                         validators=[Optional(), Length(max=100)])
    since = DateField(_l("From"), validators=[Optional(), PlausibleDate()])
    until = DateField(_l("Until"), validators=[Optional(), PlausibleDate()])

    def set_choices(self, actions, kinds) -> None:
        self.action.choices = [SelectChoice("", _l("All actions"))] + [
            SelectChoice(a, label) for a, label in actions]
        self.kind.choices = [SelectChoice("", _l("All kinds"))] + [
            SelectChoice(k, label) for k, label in kinds]
