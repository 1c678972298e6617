"""Forms of the admin page for API keys and webhooks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from district_portal.api_vocabulary import MIN_SECRET, SCOPES
from district_portal.forms import PortalForm


class ApiKeyForm(PortalForm):
    name = StringField(_l("Name of the system that will use the key"),
                       validators=[DataRequired(_l("Enter the name of the system.")),
                                   Length(max=200)])
    scopes = SelectMultipleField(
        _l("Scope"), choices=[SelectChoice(k, v) for k, v in SCOPES.items()],
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(_l("Choose at least one scope."))])
    office = SelectField(_l("Office (optional: the key then sees that office and those "
                            "below it)"), choices=[], validate_choice=True,
                         validators=[Optional()])

    def set_offices(self, offices) -> None:
        self.office.choices = [SelectChoice("", _l("Every office"))] + [
            SelectChoice(o.agency_code, f"{o.name} ({o.agency_code})") for o in offices]


class WebhookForm(PortalForm):
    url = StringField(_l("Receiver's address (https://…)"),
                      validators=[DataRequired(_l("Enter the receiver's address.")),
                                  Length(max=300)])
    secret = StringField(_l("Shared secret (at least %(n)d characters)", n=MIN_SECRET),
                         validators=[DataRequired(_l("Enter the shared secret.")),
                                     Length(min=MIN_SECRET, max=200, message=_l(
                                         "The secret must have %(min)d to 200 characters.",
                                         min=MIN_SECRET))])
    key = SelectField(_l("For the API key"), choices=[], validators=[Optional()])
    office = SelectField(_l("Or for the office"), choices=[], validators=[Optional()])

    def set_choices(self, keys, offices) -> None:
        self.key.choices = [SelectChoice("", "—")] + [
            SelectChoice(k.prefix, f"{k.name} ({k.prefix})") for k in keys]
        self.office.choices = [SelectChoice("", "—")] + [
            SelectChoice(o.agency_code, f"{o.name} ({o.agency_code})") for o in offices]

    def validate_office(self, field) -> None:
        if bool(field.data) == bool(self.key.data):
            raise ValidationError(_l("Choose either an API key or an office for the webhook."))


class ConfirmForm(PortalForm):
    """A button that changes something: only the CSRF token."""
