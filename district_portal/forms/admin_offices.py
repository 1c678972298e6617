"""Forms of the admin console's offices section: an office's details (what a commune admin
edits), the whole office (a province admin's), a provisional office's real agency code, and
deactivation with a successor."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from district_portal.forms import PortalForm

_PERIOD = re.compile(r"(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")
KIND_LABELS = {
    "province": _l("Province (UBND tỉnh)"),
    "centre": _l("Public administration service centre"),
    "department": _l("Department (Sở)"),
    "commune": _l("Commune or ward (UBND xã/phường)"),
}


def parse_hours(text: str) -> list[str]:
    """"07:00-11:30, 13:30-17:00" (commas, semicolons or lines) → ["07:00-11:30",
    "13:30-17:00"], sorted; ValueError with the message to show otherwise."""
    periods = []
    for part in (p.strip() for p in re.split(r"[,;\n]", text or "")):
        if not part:
            continue
        match = _PERIOD.fullmatch(part)
        if not match:
            raise ValueError(_l("“%(period)s” is not a period like 07:30-11:30.", period=part))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(_l("“%(period)s” has an hour or minute that does not exist.",
                                period=part))
        if (h1, m1) >= (h2, m2):
            raise ValueError(_l("“%(period)s” ends before it starts.", period=part))
        periods.append(((h1, m1), (h2, m2)))
    periods.sort()
    for first, second in zip(periods, periods[1:], strict=False):
        if second[0] < first[1]:
            raise ValueError(_l("The periods %(a)s and %(b)s overlap.",
                                a=_text(first), b=_text(second)))
    return [_text(p) for p in periods]


def _text(period) -> str:
    (h1, m1), (h2, m2) = period
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


class OfficeDetailsForm(PortalForm):
    """What any admin of the office edits."""

    address = StringField(_l("Address"), validators=[Optional(), Length(max=500)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    hours = StringField(
        _l("Opening hours on working days (e.g. 07:00-11:30, 13:30-17:00; empty: "
           "07:00-11:30, 13:30-17:00)"), validators=[Optional(), Length(max=200)])
    postage = IntegerField(
        _l("Postage for sending a result by post, in đồng (empty: this office does not send "
           "results by post)"),
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message=_l(
            "Postage is a whole number of đồng from 0 to 10,000,000."))])

    def validate_hours(self, field) -> None:
        try:
            self.hours_list = parse_hours(field.data or "")
        except ValueError as exc:
            raise ValidationError(exc.args[0]) from None

    def fill(self, office) -> None:
        self.address.data, self.phone.data = office.address, office.phone
        self.hours.data = ", ".join(office.hours or [])
        self.postage.data = office.postage


class OfficeForm(OfficeDetailsForm):
    """Every attribute: a province admin's new office or edit."""

    agency_code = StringField(_l("Agency code (mã định danh, e.g. 000.00.04.T25)"),
                              validators=[DataRequired(_l("Enter the agency code.")),
                                          Length(max=40)],
                              filters=[lambda v: v.upper() if isinstance(v, str) else v])
    name = StringField(_l("Name of the office"),
                       validators=[DataRequired(_l("Enter the office's name.")),
                                   Length(max=500)])
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)
    parent = SelectField(_l("Parent office"), choices=[], validate_choice=False)
    admin_unit_code = IntegerField(
        _l("Official code of the commune or province (vietnam-provinces, optional)"),
        validators=[Optional(), NumberRange(min=1, max=99_999_999, message=_l(
            "The official code is a positive whole number."))])

    def set_choices(self, parents, root: bool) -> None:
        kinds = ("province",) if root else ("centre", "department", "commune")
        self.kind.choices = [SelectChoice(k, KIND_LABELS[k]) for k in kinds]
        self.parent.choices = [SelectChoice("", "—")] + [
            SelectChoice(o.agency_code, f"{'· ' * depth}{o.name} ({o.agency_code})")
            for o, depth in parents]

    def fill(self, office) -> None:
        super().fill(office)
        self.agency_code.data, self.name.data = office.agency_code, office.name
        self.kind.data = str(office.kind)
        self.parent.data = office.parent.agency_code if office.parent else ""
        self.admin_unit_code.data = office.admin_unit_code


class AgencyCodeForm(PortalForm):
    agency_code = StringField(_l("The real agency code (mã định danh)"),
                              validators=[DataRequired(_l("Enter the agency code.")),
                                          Length(max=40)],
                              filters=[lambda v: v.upper() if isinstance(v, str) else v])


class DeactivateForm(PortalForm):
    successor = SelectField(_l("Successor: the office that takes its new dossiers"),
                            choices=[], validate_choice=False)
    note = TextAreaField(_l("Reason (e.g. the decision merging the communes)"),
                         validators=[Optional(), Length(max=1000)])

    def set_choices(self, offices) -> None:
        self.successor.choices = [SelectChoice("", "—")] + [
            SelectChoice(o.agency_code, f"{o.name} ({o.agency_code})") for o in offices]


class ReasonForm(PortalForm):
    note = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class CertificateForm(PortalForm):
    """An office's own signing certificate (checked by its content in the service)."""

    certificate = FileField(_l("Certificate file (.p12 or .pfx, with its private key)"))
    certificate_password = PasswordField(_l("Password of the certificate file"),
                                         validators=[Optional(), Length(max=200)])


class CertificateRemoveForm(PortalForm):
    confirm = BooleanField(
        _l("Yes: remove it; the results of this office are then signed with the province's "
           "certificate."),
        validators=[DataRequired(_l("Tick the box to confirm the removal."))])
