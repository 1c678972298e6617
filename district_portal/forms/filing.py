"""Small fixed forms of the filing pages (the e-form itself is district_portal.eform)."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from district_portal.codes import parse_lookup
from district_portal.forms import PortalForm
from district_portal.idnumbers import normalise_id_number
from district_portal.phones import PhoneError, parse_phone
from district_portal.text import clean

CONTACT_MESSAGE = _l("Enter a Vietnamese phone number like 0912 345 678, or a 12-digit personal "
                     "ID number like 025 090 001 234.")


def tracking_contact(raw: str) -> tuple[str, str] | None:
    """What identifies the applicant on /track: ("id_number", 12 digits) or ("phone",
    E.164), however it was typed; None if it is neither."""
    id_number = normalise_id_number(raw)
    if id_number is not None:
        return "id_number", id_number
    try:
        return "phone", parse_phone(raw)
    except PhoneError:
        return None


def tracking_limit_key() -> str:
    """The rate-limit key of the phone or ID number typed on /track: normalised (every way of
    writing one number is one key) and keyed-hashed (the limiter's storage holds no numbers)."""
    contact = tracking_contact(clean(request.form.get("phone", "")))
    text = ":".join(contact) if contact else "-"
    digest = hmac.new(current_app.secret_key.encode(), text.encode(), hashlib.sha256)
    return "track:" + digest.hexdigest()[:32]


class TrackForm(PortalForm):
    """Code or ref plus the phone given at filing, or the applicant's ID number (a walk-in
    without a phone tracks that way); POSTed, never put in a URL. No CSRF token: the page
    sets no cookie, and the view checks where the request comes from instead."""

    class Meta:
        csrf = False

    lookup = StringField(_l("Dossier code or tracking code"),
                         validators=[DataRequired(_l("Enter the dossier code or the 8-character "
                                                     "tracking code.")), Length(max=80)])
    # The input keeps its name "phone": most people type the phone they gave.
    phone = StringField(_l("Phone number or personal ID number given when filing"),
                        validators=[DataRequired(_l("Enter the phone number or the personal ID "
                                                    "number given when filing.")),
                                    Length(max=40, message=CONTACT_MESSAGE)])
    contact: tuple[str, str] | None = None

    def validate_lookup(self, field):
        if parse_lookup(field.data or "") is None:
            raise ValidationError(_l("This is neither a dossier code (like "
                                     "000.00.04.T25-261125-0001) nor a tracking code (like "
                                     "AB12-CD3J). Check it and try again."))

    def validate_phone(self, field):
        self.contact = tracking_contact(field.data or "")
        if self.contact is None:
            raise ValidationError(CONTACT_MESSAGE)

    def contact_inputs(self) -> dict[str, str]:
        """The keyword the tracking service takes: phone=… or id_number=…."""
        kind, value = self.contact
        return {kind: value}


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
