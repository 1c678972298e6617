"""Forms of the admin console's staff accounts and residents pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from district_portal.eform import messages
from district_portal.forms import PortalForm, StripForm
from district_portal.phones import PhoneError, parse_phone

ROLE_LABELS = (("clerk", _l("Clerk (receives dossiers)")),
               ("officer", _l("Officer (handles dossiers)")),
               ("leader", _l("Leader (signs results)")),
               ("admin", _l("Administrator")))
ROLE_NAMES = {"clerk": _l("Clerk"), "officer": _l("Officer"), "leader": _l("Leader"),
              "admin": _l("Administrator")}


def _mobile(form, field) -> None:
    """A Vietnamese mobile number: the set-password link may go by SMS."""
    if not field.data:
        return
    try:
        e164 = parse_phone(field.data, mobile_only=True)
    except PhoneError:
        raise ValidationError(messages.MOBILE) from None
    if not e164.startswith("+84"):
        raise ValidationError(messages.MOBILE)


def _offices(field, offices, blank=None) -> None:
    field.choices = ([SelectChoice("", blank)] if blank is not None else []) + [
        SelectChoice(o.agency_code, f"{o.name} ({o.agency_code})") for o in offices]


class _RolesOfficeForm(PortalForm):
    job_title = StringField(_l("Job title (printed under a signature)"),
                            validators=[Optional(), Length(max=100, message=_l(
                                "At most %(max)d characters.", max=100))])
    office = SelectField(_l("Office"), choices=[], validate_choice=False,  # the service says
                         validators=[DataRequired(_l("Choose an office you administer."))])
    roles = SelectMultipleField(
        _l("Roles"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS],
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        validate_choice=False,  # services/admin/accounts.py refuses other roles, in Vietnamese
        validators=[DataRequired(_l("Choose at least one role."))])

    def set_offices(self, offices) -> None:
        _offices(self.office, offices)


class NewStaffForm(_RolesOfficeForm):
    full_name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Enter the full name.")),
        Length(max=200, message=_l("At most %(max)d characters.", max=200))])
    email = StringField(_l("Email"), validators=[
        Optional(), Length(max=254, message=_l("At most %(max)d characters.", max=254)),
        Email(messages.EMAIL)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), _mobile])

    def validate_email(self, field) -> None:
        if not field.data and not self.phone.data:
            raise ValidationError(_l("Enter an email or a phone number: the link to choose a "
                                     "password is sent there."))


class EditStaffForm(_RolesOfficeForm):
    pass


class StaffFilterForm(StripForm):
    q = StringField(_l("Name, email or phone"), validators=[Optional(), Length(max=200)])
    office = SelectField(_l("Office"), choices=[], validate_choice=False)
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    active = SelectField(_l("State"), validate_choice=False, choices=[
        SelectChoice("", _l("Every state")), SelectChoice("yes", _l("Active")),
        SelectChoice("no", _l("Deactivated"))])

    def set_choices(self, offices) -> None:
        _offices(self.office, offices, _l("Every office"))
        self.role.choices = [SelectChoice("", _l("Every role"))] + [
            SelectChoice(k, v) for k, v in ROLE_LABELS]


class ResidentSearchForm(StripForm):
    q = StringField(_l("Name, phone, email or ID number"),
                    validators=[Optional(), Length(max=200)])


class ReasonForm(PortalForm):
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[
        DataRequired(_l("Give the reason: it is kept in the audit log.")),
        Length(max=500, message=_l("At most %(max)d characters.", max=500))])
