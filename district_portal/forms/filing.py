"""Small fixed forms of the filing pages (the e-form itself is district_portal.eform)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from district_portal.codes import parse_lookup
from district_portal.eform import messages
from district_portal.forms import PortalForm
from district_portal.phones import PhoneError, parse_phone


class TrackForm(PortalForm):
    """Code or ref plus the phone given at filing; POSTed, never put in a URL."""

    lookup = StringField(_l("Dossier code or tracking code"),
                         validators=[DataRequired(_l("Enter the dossier code or the 8-character "
                                                     "tracking code.")), Length(max=80)])
    phone = StringField(_l("Phone number given when filing"),
                        validators=[DataRequired(_l("Enter the phone number given when "
                                                    "filing.")), Length(max=30)])

    def validate_lookup(self, field):
        if parse_lookup(field.data or "") is None:
            raise ValidationError(_l("This is neither a dossier code (like "
                                     "000.00.04.T25-261125-0001) nor a tracking code (like "
                                     "AB12-CD3E). Check it and try again."))

    def validate_phone(self, field):
        try:
            self.phone_e164 = parse_phone(field.data or "")
        except PhoneError:
            raise ValidationError(messages.PHONE) from None


class SubmitForm(PortalForm):
    nonce = HiddenField(validators=[DataRequired(), Length(max=64)])
