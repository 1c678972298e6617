"""Forms of the account pages: register, verify phone, log in, passwords."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from district_portal.eform import messages
from district_portal.forms import PortalForm
from district_portal.passwords import MIN_PASSWORD_LENGTH, is_common_password
from district_portal.phones import PhoneError, parse_phone

_SPACES = re.compile(r"\s+")


def plain_text(value):
    """NFC, then drop what NFC could not compose (stray combining marks), control and format
    characters; collapse spaces. 'Nguye\u0302\u0303n' → 'Nguyễn'."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value)
    value = "".join(c for c in value if unicodedata.category(c) not in {"Mn", "Me", "Cc", "Cf"})
    return _SPACES.sub(" ", value).strip()


def digits_only(value):
    return re.sub(r"[\s.\-]", "", value) if isinstance(value, str) else value


class VietnameseMobile:
    """A Vietnamese mobile number (landlines cannot receive the SMS code)."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            parse_phone(field.data)
        except PhoneError:
            raise ValidationError(messages.PHONE) from None
        try:
            e164 = parse_phone(field.data, mobile_only=True)
        except PhoneError:
            raise ValidationError(_("This is a landline. Enter a mobile number: the code "
                                     "comes by SMS.")) from None
        if not e164.startswith("+84"):
            raise ValidationError(messages.MOBILE)


class NewPassword:
    """At least 8 characters and not on the list of common passwords."""

    def __call__(self, form, field):
        value = field.data or ""
        if len(value) < MIN_PASSWORD_LENGTH:
            raise ValidationError(_("Use at least 8 characters."))
        if is_common_password(value):
            raise ValidationError(_("This password is too common and easy to guess. Choose "
                                     "another."))


def _password_fields(label=None):
    password = PasswordField(label or _("New password"), validators=[
        InputRequired(_("Enter a password.")), Length(max=128, message=_(
            "Use at most 128 characters.")), NewPassword()])
    confirm = PasswordField(_("Repeat the password"), validators=[
        InputRequired(_("Repeat the password.")),
        EqualTo("password", _("The two passwords are not the same."))])
    return password, confirm


class RegisterForm(PortalForm):
    full_name = StringField(_("Full name"), filters=[plain_text], validators=[
        DataRequired(_("Enter your full name.")),
        Length(max=200, message=_("A name has at most 200 characters."))])
    phone = StringField(_("Mobile phone"), validators=[
        Optional(), Length(max=30, message=messages.PHONE),
        VietnameseMobile()])
    email = StringField(_("Email"), validators=[
        Optional(), Length(max=254, message=_("An email address has at most 254 characters.")),
        Email(_("Enter an email address like ten@example.vn."))])
    password, confirm = _password_fields(_("Password"))
    consent = BooleanField(validators=[DataRequired(_(
        "Tick the box to agree to the processing of your personal data."))])
    next = HiddenField()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.phone.data and not self.email.data:
            self.phone.errors = [*self.phone.errors, _("Enter a mobile phone number or an "
                                                         "email, or both.")]
            return False
        return ok


class VerifyPhoneForm(PortalForm):
    code = StringField(_("Code from the SMS"), filters=[digits_only], validators=[
        DataRequired(_("Enter the 6-digit code from the SMS.")),
        Regexp(r"^\d{6}$", message=_("The code has 6 digits."))])
    next = HiddenField()


class LoginForm(PortalForm):
    login = StringField(_("Phone number or email"), validators=[
        DataRequired(_("Enter your phone number or email.")),
        Length(max=254, message=_("Use at most 254 characters."))])
    password = PasswordField(_("Password"), validators=[
        InputRequired(_("Enter your password.")),
        Length(max=128, message=_("Use at most 128 characters."))])
    next = HiddenField()


class ChangePasswordForm(PortalForm):
    current = PasswordField(_("Current password"), validators=[
        InputRequired(_("Enter your current password.")),
        Length(max=128, message=_("Use at most 128 characters."))])
    password, confirm = _password_fields()


class ForgotPasswordForm(PortalForm):
    login = StringField(_("Phone number or email"), validators=[
        DataRequired(_("Enter your phone number or email.")),
        Length(max=254, message=_("Use at most 254 characters."))])


class ResetPasswordForm(PortalForm):
    password, confirm = _password_fields()


class TwoFactorForm(PortalForm):
    code = StringField(_("Code"), validators=[
        DataRequired(_("Enter the 6-digit code from the app, or a recovery code.")),
        Length(max=20, message=_("Use at most 20 characters."))])
