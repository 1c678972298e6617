"""Forms of the admin console's procedures section: the list's filters, a new procedure, its
top-level properties, and a change of its online level with the deciding document."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp, ValidationError

from district_portal.forms import PortalForm, StripForm

LEVELS = (("commune", _l("Commune")), ("province", _l("Province")))
ONLINE_LEVELS = (("full", _l("Fully online")), ("partial", _l("Partly online")),
                 ("none", _l("At the office only")))
UNITS = (("working_days", _l("working days")), ("working_hours", _l("working hours")),
         ("same_day", _l("the same day")))
APPLICANTS = (("person", _l("A person")), ("organisation", _l("An organisation")))
CODE = r"^[0-9A-Za-z][0-9A-Za-z.\-]{2,31}$"  # as in catalog.schema.json


def _values(choices) -> list[str]:
    return [value for value, _label in choices]


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _checkboxes(label, choices, message, **kw):
    return SelectMultipleField(label, choices=_choices(choices), validate_choice=False,
                               option_widget=widgets.CheckboxInput(),
                               widget=widgets.ListWidget(prefix_label=False),
                               validators=[DataRequired(message)], **kw)


class ProcedureFilterForm(StripForm):
    q = StringField(_l("Name or code"), validators=[Optional(), Length(max=200)])
    field = SelectField(_l("Field"), choices=[], validate_choice=False)
    level = SelectField(_l("Online level"),
                        choices=_choices([("", _l("Every level")), *ONLINE_LEVELS]),
                        validate_choice=False)
    published = SelectField(_l("Publication"), choices=_choices([("", _l("Published or not")),
                                                               ("yes", _l("Published")),
                                                               ("no", _l("Not published"))]),
                            validate_choice=False)
    office = SelectField(_l("Office"), choices=[], validate_choice=False)
    page = StringField(validators=[Optional()])

    def set_choices(self, fields: list[str], offices) -> None:
        self.field.choices = _choices([("", _l("Every field")), *((f, f) for f in fields)])
        self.office.choices = _choices([("", _l("Every office")),
                                        *((o.agency_code, o.name) for o in offices)])

    def page_number(self) -> int:
        text = self.page.data or ""
        return min(int(text), 10_000) if text.isdigit() and int(text) > 0 else 1


def _whole_number(low: int, high: int, message):
    def check(form, field) -> None:
        text = (field.data or "").replace(".", "")
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValidationError(message)
    return check


class PropertiesForm(PortalForm):
    """The top-level properties of a procedure (the form builder edits the rest)."""

    name = StringField(_l("Name of the procedure"), validators=[
        DataRequired(_l("Enter the name of the procedure.")),
        Length(max=500, message=_l("At most %(max)d characters."))])
    field = StringField(_l("Field (lĩnh vực), e.g. Hộ tịch"), validators=[
        DataRequired(_l("Enter the field of the procedure.")),
        Length(max=500, message=_l("At most %(max)d characters."))])
    level = SelectField(_l("Deciding tier"), choices=_choices(LEVELS), validate_choice=False,
                        validators=[AnyOf(_values(LEVELS), message=_l("Choose a tier."))])
    processing_amount = StringField(_l("Processing time"), validators=[
        _whole_number(0, 365, _l("Enter a whole number from 0 to 365."))])
    processing_unit = SelectField(_l("Unit of the processing time"), choices=_choices(UNITS),
                                  validate_choice=False, validators=[
                                      AnyOf(_values(UNITS), message=_l("Choose a unit."))])
    fee_note = TextAreaField(_l("Note on the fee (optional)"), validators=[
        Length(max=500, message=_l("At most %(max)d characters."))])
    applicants = _checkboxes(_l("Who may file it"), APPLICANTS,
                             _l("Choose who may file the procedure."))
    offices = _checkboxes(_l("Receiving offices"), (),
                          _l("Choose at least one receiving office."))
    legal_basis = TextAreaField(_l("Legal basis (one document a line, optional)"), validators=[
        Length(max=10_000, message=_l("At most %(max)d characters."))])

    def validate_applicants(self, field) -> None:
        if not set(field.data) <= set(_values(APPLICANTS)):
            raise ValidationError(_l("Choose who may file the procedure."))

    def validate_legal_basis(self, field) -> None:
        if any(len(line) > 500 for line in self.legal_basis_lines()):
            raise ValidationError(_l("Each document may have at most 500 characters."))

    def set_offices(self, offices) -> None:
        self.offices.choices = _choices((o.agency_code, f"{o.name} ({o.agency_code})")
                                        for o in offices)

    def legal_basis_lines(self) -> list[str]:
        return [line.strip() for line in (self.legal_basis.data or "").splitlines()
                if line.strip()]

    def fill(self, props) -> None:
        """Show `props` (services.admin.catalogue_edit.Properties) in the form."""
        for name in ("name", "field", "level", "processing_unit", "fee_note", "applicants",
                     "offices"):
            getattr(self, name).data = getattr(props, name)
        self.processing_amount.data = str(props.processing_amount)
        self.legal_basis.data = "\n".join(props.legal_basis)

    def values(self) -> dict:
        """What was typed, as keyword arguments of Properties."""
        return {"name": self.name.data, "field": self.field.data, "level": self.level.data,
                "processing_amount": int((self.processing_amount.data or "0").replace(".", "")),
                "processing_unit": self.processing_unit.data,
                "fee_note": self.fee_note.data or "", "applicants": list(self.applicants.data),
                "offices": list(self.offices.data), "legal_basis": self.legal_basis_lines()}


class CreateForm(PropertiesForm):
    code = StringField(_l("Code (as in the national database, e.g. 1.001193)"), validators=[
        DataRequired(_l("Enter the code of the procedure.")),
        Regexp(CODE, message=_l("3 to 32 letters, digits, dots or hyphens, starting with a "
                                "letter or digit."))])
    online_level = SelectField(_l("Online level"), choices=_choices(ONLINE_LEVELS),
                               default="none", validate_choice=False, validators=[
                                   AnyOf(_values(ONLINE_LEVELS), message=_l("Choose a level."))])
    fee = StringField(_l("Fee in đồng (0 when free)"), default="0", validators=[
        _whole_number(0, 1_000_000_000, _l("Enter the fee in đồng, a whole number."))])
    result_name = StringField(_l("What the resident receives, e.g. Giấy khai sinh"), validators=[
        DataRequired(_l("Enter what the resident receives.")),
        Length(max=500, message=_l("At most %(max)d characters."))])

    def fee_amount(self) -> int:
        return int((self.fee.data or "0").replace(".", ""))


def parse_date(text: str) -> date | None:
    """dd/mm/yyyy (as typed) or yyyy-mm-dd (a date input); None when neither."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


class LevelForm(PortalForm):
    new_level = SelectField(_l("New online level"), choices=_choices(ONLINE_LEVELS),
                            validate_choice=False, validators=[
                                AnyOf(_values(ONLINE_LEVELS), message=_l("Choose a level."))])
    decision_no = StringField(_l("Number of the deciding document, e.g. 1234/QĐ-UBND"), validators=[
        DataRequired(_l("Enter the number of the deciding document.")),
        Length(max=100, message=_l("At most %(max)d characters."))])
    decision_date = StringField(_l("Date of the document (dd/mm/yyyy)"), validators=[
        DataRequired(_l("Enter the date of the deciding document."))])
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(_l("Enter the reason for the change.")),
        Length(max=500, message=_l("At most %(max)d characters."))])

    def validate_decision_no(self, field) -> None:
        if not re.search(r"\d", field.data or ""):
            raise ValidationError(_l("Enter the number of the document, e.g. 1234/QĐ-UBND."))

    def validate_decision_date(self, field) -> None:
        day = parse_date(field.data or "")
        if day is None:
            raise ValidationError(_l("Enter the date as dd/mm/yyyy."))
        if day > date.today() + timedelta(days=1) or day.year < 2000:
            raise ValidationError(_l("The date must be between 2000 and today."))
