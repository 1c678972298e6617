"""Small fixed forms of the filing pages (the e-form itself is district_portal.eform)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

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


RATING_LEVELS = (
    (5, _l("Very satisfied")),
    (4, _l("Satisfied")),
    (3, _l("Neither satisfied nor dissatisfied")),
    (2, _l("Dissatisfied")),
    (1, _l("Very dissatisfied")),
)
MAX_COMMENT = 1000


class RateForm(PortalForm):
    """Satisfaction with a returned dossier: five levels (5 = very satisfied) and a comment."""

    rating = RadioField(_l("How satisfied are you with how this dossier was handled?"),
                        choices=[SelectChoice(str(n), label) for n, label in RATING_LEVELS],
                        validators=[InputRequired(_l("Choose how satisfied you are."))])
    comment = TextAreaField(_l("Comment (if you wish)"), validators=[
        Optional(), Length(max=MAX_COMMENT, message=_l(
            "The comment must be at most %(max)d characters.", max=MAX_COMMENT))])

    def rating_inputs(self) -> dict:
        return {"rating": int(self.rating.data), "comment": self.comment.data or None}


class DocumentsForm(PortalForm):
    """The buttons of the documents page: which file to remove and where to go next (the
    chosen files themselves are the service's to read)."""

    remove = StringField(validators=[Optional(), Length(max=64)])
    button = StringField(name="_action", validators=[Optional(), Length(max=20)])

    @property
    def step(self) -> str:
        """"review" for Continue, "edit" for Back, else back to "documents"."""
        return {"next": "review", "back": "edit"}.get(self.button.data or "", "documents")
