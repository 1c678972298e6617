"""Forms of the admin console's form builder. They carry the CSRF token and keep what was
typed; the checks are the builder service's (services/admin/form_checks.py), so these fields
have no validators of their own and every value reaches the service as text."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice

from district_portal.forms import PortalForm

FIELD_TYPE_LABELS = {
    "text": _l("Short text"), "textarea": _l("Longer text (several lines)"),
    "number": _l("A number (e.g. of copies)"), "date": _l("Date"),
    "select": _l("Choose one from a list"),
    "radio": _l("Choose one (radio buttons)"), "checkbox": _l("Tick box (yes or no)"),
    "email": _l("Email address"), "phone": _l("Phone number"),
    "id_number": _l("Personal ID number (12 digits)"), "tax_code": _l("Tax code"),
    "commune": _l("Province and commune or ward"),
}


class BuilderForm(PortalForm):
    def values(self) -> dict[str, str]:
        """Every input as text, as the service reads it ("y" for a ticked box)."""
        out = {}
        for f in self:
            if f.name == "csrf_token" or isinstance(f, SelectMultipleField):
                continue
            if isinstance(f, BooleanField):
                out[f.name] = "y" if f.data else ""
            else:
                out[f.name] = "" if f.data is None else str(f.data)
        return out


class FieldForm(BuilderForm):
    label = StringField(_l("Question (as the resident reads it)"))
    key = StringField(_l("Key (Latin letters without accents, digits and _, e.g. ho_ten)"))
    type = SelectField(_l("Kind of answer"), validate_choice=False,
                       choices=[SelectChoice(k, v) for k, v in FIELD_TYPE_LABELS.items()])
    required = BooleanField(_l("An answer is required"))
    help = TextAreaField(_l("Help text under the question (optional)"))
    options = TextAreaField(_l("Options (lists and radio buttons): one a line, value | label"))
    min_length = StringField(_l("Fewest characters"))
    max_length = StringField(_l("Most characters"))
    min = StringField(_l("Smallest number"))
    max = StringField(_l("Largest number"))
    pattern = StringField(_l("Pattern the answer must match (regular expression, optional)"))
    visible_field = SelectField(_l("Show this question only when the question"),
                                validate_choice=False, choices=[])
    visible_equals = StringField(_l("… has the answer (the option's value; for a tick box: có or "
                                      "không)"))

    def set_fields(self, fields: list[dict], own_key: str | None) -> None:
        self.visible_field.choices = [SelectChoice("", _l("– always show –"))] + [
            SelectChoice(f["key"], f"{f['label']} ({f['key']})") for f in fields
            if f["key"] != own_key]


class DocumentForm(BuilderForm):
    name = StringField(_l("Name of the document"))
    key = StringField(_l("Key (Latin letters without accents, digits and _, e.g. giay_khai_sinh)"))
    mandatory = BooleanField(_l("Required"))
    originals = StringField(_l("Originals to bring to the office"))
    copies = StringField(_l("Copies to bring to the office"))


class StepForm(BuilderForm):
    text = TextAreaField(_l("What the resident does at this step"))
    in_person = BooleanField(_l("The resident must come to the office for this step"))


class FeeLineForm(BuilderForm):
    label = StringField(_l("Name of the fee line"))
    amount = StringField(_l("Amount in đồng"))
    per = SelectField(_l("Per unit of (number question, optional)"), validate_choice=False,
                      choices=[])
    times = SelectField(_l("Times (number question, optional)"), validate_choice=False,
                        choices=[])
    tiers = TextAreaField(_l("Or tiers instead of one amount, one a line: up to | amount | label "
                             "(the last line without “up to”)"))
    cap = StringField(_l("At most (đồng, optional)"))
    exempt_if = TextAreaField(_l("Free of charge when (optional), one a line: key = value | "
                                 "reason"))

    def set_fields(self, fields: list[dict]) -> None:
        choices = [SelectChoice("", _l("– none –"))] + [
            SelectChoice(f["key"], f"{f['label']} ({f['key']})") for f in fields
            if f["type"] == "number"]
        self.per.choices = choices
        self.times.choices = list(choices)


class FeeForm(BuilderForm):
    note = TextAreaField(_l("Note on the fee (optional)"))
    online_payment = BooleanField(_l("The fee can be paid online"))
    exempt_if = TextAreaField(_l("The whole fee is waived when (optional), one a line: key = "
                                 "value | reason"))


class ResultForm(BuilderForm):
    name = StringField(_l("What the resident receives (e.g. Giấy khai sinh)"))
    template = TextAreaField(_l("Template of the result (HTML with {{ answers.key }} etc.)"))
    authority = StringField(_l("Authority line (e.g. TM. ỦY BAN NHÂN DÂN)"))
    delegation = StringField(_l("Delegation line (e.g. KT. CHỦ TỊCH)"))
    title = StringField(_l("Signer's title (e.g. PHÓ CHỦ TỊCH)"))
    register_book = BooleanField(_l("The office keeps a register book for this result"))
    signed_scan = BooleanField(_l("Issued as a signed scan the resident downloads"))
    by_post = BooleanField(_l("Can be sent by post"))
    verify_fields = SelectMultipleField(
        _l("Answers shown on the /verify page (at most 10)"), validate_choice=False,
        choices=[], option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False))

    def set_fields(self, fields: list[dict]) -> None:
        self.verify_fields.choices = [SelectChoice(f["key"], f"{f['label']} ({f['key']})")
                                      for f in fields]

    @classmethod
    def for_result(cls, result: dict) -> ResultForm:
        return cls(data={**result, **(result.get("signature") or {})})
