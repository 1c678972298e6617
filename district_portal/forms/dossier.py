"""The e-form of a procedure version: the applicant section plus the catalogue's fields.

A plain form object rather than a generated WTForms class: the catalogue decides the fields at
run time, the commune field is two inputs (province, then commune) and `visible_if` must work
without JavaScript. CSRF is enforced for every POST by CSRFProtect. Input names are the field
keys; a commune field's province input is named `<key>.province` (a dot cannot occur in a
catalogue key, so it cannot collide).

Drafts keep the raw text exactly as typed (trimmed, NFC); `clean()` turns valid raw input into
typed answers when the dossier is submitted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from district_portal.services.accounts.phones import PhoneError, parse_phone
from district_portal.services.catalog.units import communes
from district_portal.text import clean, format_date

DEFAULT_MAX = {"text": 500, "textarea": 4000}
CHOICE_TYPES = ("select", "radio")


@dataclass
class FieldSpec:
    key: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    options: list[dict] = field(default_factory=list)
    min_length: int | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    visible_if: dict | None = None
    autocomplete: str = ""
    required_message: str = ""  # when "Enter/Choose <label>" would not read well

    @classmethod
    def from_catalog(cls, f: dict) -> FieldSpec:
        return cls(key=f["key"], label=f["label"], type=f["type"],
                   required=f.get("required", False), help=f.get("help", ""),
                   options=f.get("options", []), min_length=f.get("min_length"),
                   max_length=f.get("max_length"), min=f.get("min"), max=f.get("max"),
                   pattern=f.get("pattern"), visible_if=f.get("visible_if"))

    def option_label(self, value) -> str:
        return next((o["label"] for o in self.options if o["value"] == value), "")


def applicant_specs(offices: list | None = None) -> list[FieldSpec]:
    """The applicant section, the same on every form (keys start with applicant_)."""
    person = {"field": "applicant_type", "equals": "person"}
    org = {"field": "applicant_type", "equals": "organisation"}
    specs = [
        FieldSpec("applicant_type", str(_l("You are filing as")), "radio", True,
                  options=[{"value": "person", "label": str(_l("A person"))},
                           {"value": "organisation", "label": str(_l("An organisation"))}],
                  required_message=str(_l("Choose whether you file as a person or as an "
                                          "organisation."))),
        FieldSpec("applicant_name", str(_l("Full name (or organisation name)")), "text", True,
                  max_length=200, autocomplete="name"),
        FieldSpec("applicant_id_number", str(_l("Personal ID number")), "id_number", True,
                  visible_if=person),
        FieldSpec("applicant_tax_code", str(_l("Tax code")), "text", True, max_length=14,
                  pattern=r"\d{10}(-\d{3})?", visible_if=org,
                  help=str(_l("10 digits, or 13 with the branch: 0123456789-001"))),
        FieldSpec("applicant_representative", str(_l("Legal representative")), "text", True,
                  max_length=200, visible_if=org),
        FieldSpec("applicant_phone", str(_l("Mobile phone number")), "phone", True,
                  help=str(_l("Used to follow your dossier and to receive SMS messages.")),
                  autocomplete="tel"),
        FieldSpec("applicant_email", str(_l("Email (if you have one)")), "email", False,
                  autocomplete="email"),
        FieldSpec("applicant_commune", str(_l("Commune or ward where you live")), "commune",
                  True),
        FieldSpec("applicant_street", str(_l("House number, street, hamlet")), "text", False,
                  max_length=200, autocomplete="street-address"),
    ]
    if offices and len(offices) > 1:
        specs.append(FieldSpec(
            "applicant_office", str(_l("Office that receives your dossier")), "select", True,
            options=[{"value": o.agency_code, "label": o.name} for o in offices]))
    return specs


def procedure_specs(version_data: dict) -> list[FieldSpec]:
    return [FieldSpec.from_catalog(f) for f in version_data.get("fields", [])]


def provinces() -> list[Province]:
    return sorted(Province.iter_all(), key=lambda p: p.name)


def _province_of(raw: dict, key: str) -> int | None:
    value = raw.get(f"{key}.province") or ""
    if not value and raw.get(key, "").isdigit():
        try:
            return Ward.from_code(WardCode(int(raw[key]))).province_code.value
        except ValueError:
            return None
    return int(value) if value.isdigit() else None


class DossierForm:
    """Raw values, visibility, validation and rendering data for one step-1 page."""

    def __init__(self, specs: list[FieldSpec], raw: dict | None = None):
        self.specs = specs
        self.by_key = {s.key: s for s in specs}
        self.raw: dict[str, str] = dict(raw or {})
        self.errors: dict[str, str] = {}
        self.action = "next"  # the button pressed: next, later, refresh or send

    @classmethod
    def from_formdata(cls, specs: list[FieldSpec], formdata) -> DossierForm:
        raw = {}
        for spec in specs:
            if spec.type == "checkbox":
                raw[spec.key] = "y" if formdata.get(spec.key) else ""
                continue
            raw[spec.key] = clean(formdata.get(spec.key, ""))
            if spec.type == "commune":
                raw[f"{spec.key}.province"] = clean(formdata.get(f"{spec.key}.province", ""))
        form = cls(specs, raw)
        form.action = clean(formdata.get("_action", "")) or "next"
        return form

    # --- visibility ---------------------------------------------------------------------

    def is_visible(self, spec: FieldSpec) -> bool:
        cond = spec.visible_if
        if not cond:
            return True
        target = self.by_key.get(cond["field"])
        if target is None or not self.is_visible(target):
            return False
        value = self.raw.get(cond["field"], "")
        expected = cond["equals"]
        if isinstance(expected, bool):
            return (value == "y") == expected
        if isinstance(expected, (int, float)):
            try:
                return float(value.replace(",", ".")) == float(expected)
            except ValueError:
                return False
        return value == expected

    def visible_specs(self) -> list[FieldSpec]:
        return [s for s in self.specs if self.is_visible(s)]

    def visible_raw(self) -> dict[str, str]:
        """What is stored in the draft: hidden fields are dropped (the server ignores them)."""
        out = {}
        for spec in self.visible_specs():
            out[spec.key] = self.raw.get(spec.key, "")
            if spec.type == "commune":
                out[f"{spec.key}.province"] = self.raw.get(f"{spec.key}.province", "")
        return out

    # --- validation ---------------------------------------------------------------------

    def validate(self) -> bool:
        self.errors = {}
        for spec in self.visible_specs():
            try:
                _clean_value(spec, self.raw.get(spec.key, ""), self.raw)
            except ValueError as exc:
                self.errors[spec.key] = str(exc)
        return not self.errors

    def cleaned(self) -> dict:
        """Typed answers of the visible fields, plus `<key>_label` for select and radio."""
        out: dict = {}
        for spec in self.visible_specs():
            value = _clean_value(spec, self.raw.get(spec.key, ""), self.raw)
            out[spec.key] = value
            if spec.type in CHOICE_TYPES and value is not None:
                out[f"{spec.key}_label"] = spec.option_label(value)
            if spec.type == "commune" and value is not None:
                out[f"{spec.key}_label"] = commune_label(value)
        return out

    # --- rendering helpers ----------------------------------------------------------------

    def display_rows(self) -> list[tuple[FieldSpec, str]]:
        """(field, answer as it reads) for every visible field: check page, dossier pages."""
        return [(spec, display_value(spec, self.raw.get(spec.key, "")))
                for spec in self.visible_specs()]

    def province_of(self, spec: FieldSpec) -> int | None:
        return _province_of(self.raw, spec.key)

    def communes_of(self, spec: FieldSpec):
        code = self.province_of(spec)
        if code is None:
            return []
        try:
            return communes(code)
        except ValueError:
            return []


def _required_message(spec: FieldSpec) -> str:
    if spec.required_message:
        return spec.required_message
    if spec.type in CHOICE_TYPES or spec.type == "commune":
        return gettext("Choose %(label)s", label=_lower_first(spec.label))
    if spec.type == "checkbox":
        return gettext("Tick “%(label)s”", label=spec.label)
    return gettext("Enter %(label)s", label=_lower_first(spec.label))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


# Being replaced by the e-form domain module (issue 7 item 5): per-type validators.
def _clean_value(spec: FieldSpec, raw: str, all_raw: dict):  # noqa: C901
    """The typed value of one visible field, or ValueError with a message saying what to do."""
    if spec.type == "checkbox":
        if spec.required and raw != "y":
            raise ValueError(_required_message(spec))
        return raw == "y"
    if raw == "":
        if spec.required:
            raise ValueError(_required_message(spec))
        return None
    kind = spec.type
    if kind in ("text", "textarea"):
        limit = spec.max_length or DEFAULT_MAX[kind]
        if len(raw) > limit:
            raise ValueError(gettext("%(label)s must be at most %(n)d characters (now %(m)d).",
                                     label=spec.label, n=limit, m=len(raw)))
        if spec.min_length and len(raw) < spec.min_length:
            raise ValueError(gettext("%(label)s must be at least %(n)d characters.",
                                     label=spec.label, n=spec.min_length))
        if kind == "text" and "\n" in raw:
            raise ValueError(gettext("%(label)s must be on one line.", label=spec.label))
        # re.ASCII: \d must not accept full-width or other non-ASCII digits.
        if spec.pattern and not re.fullmatch(spec.pattern, raw, re.ASCII):
            raise ValueError(gettext("%(label)s is not in the expected format.",
                                     label=spec.label))
        return raw
    if kind == "number":
        text = raw.replace(" ", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(gettext("%(label)s must be a number, e.g. 12.", label=spec.label)) \
                from None
        if not math.isfinite(number) or len(text) > 30:
            raise ValueError(gettext("%(label)s must be a number, e.g. 12.", label=spec.label))
        if spec.min is not None and number < spec.min:
            raise ValueError(gettext("%(label)s must be at least %(n)s.", label=spec.label,
                                     n=_num(spec.min)))
        if spec.max is not None and number > spec.max:
            raise ValueError(gettext("%(label)s must be at most %(n)s.", label=spec.label,
                                     n=_num(spec.max)))
        return int(number) if number.is_integer() else number
    if kind == "date":
        parsed = parse_date(raw)
        if parsed is None:
            raise ValueError(gettext("%(label)s must be a real date, written like 25/11/2026.",
                                     label=spec.label))
        return parsed.isoformat()
    if kind in CHOICE_TYPES:
        if raw not in {o["value"] for o in spec.options}:
            raise ValueError(_required_message(spec))
        return raw
    if kind == "email":
        try:
            result = validate_email(
                raw, check_deliverability=False,
                # The demo accounts use the reserved .test domain outside production.
                test_environment=current_app.config.get("EMAIL_ALLOW_TEST_DOMAINS", False))
        except EmailNotValidError:
            raise ValueError(gettext("Enter an email address like name@example.com.")) from None
        return result.normalized
    if kind == "phone":
        try:
            return parse_phone(raw)
        except PhoneError:
            raise ValueError(gettext("Enter a Vietnamese phone number like 0912 345 678.")) \
                from None
    if kind == "id_number":
        if not re.fullmatch(r"[0-9]{12}", raw):  # \d would accept full-width digits
            raise ValueError(gettext("A personal ID number has exactly 12 digits."))
        return raw
    if kind == "commune":
        province = _province_of(all_raw, spec.key)
        if not raw.isdigit() or province is None:
            raise ValueError(_required_message(spec))
        try:
            ward = Ward.from_code(WardCode(int(raw)))
        except ValueError:
            raise ValueError(_required_message(spec)) from None
        if ward.province_code != ProvinceCode(province):
            raise ValueError(gettext("Choose a commune of the chosen province."))
        return int(raw)
    raise ValueError(gettext("Unknown field type."))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_date(raw: str) -> date | None:
    """'2026-11-25' (a date input) or '25/11/2026' (typed on an old browser)."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            value = datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        if 1900 <= value.year <= 2100:
            return value
    return None


def commune_label(code) -> str:
    try:
        ward = Ward.from_code(WardCode(int(code)))
    except (TypeError, ValueError):
        return ""
    return f"{ward.name}, {Province.from_code(ward.province_code).name}"


def display_value(spec: FieldSpec, value) -> str:
    """How an answer reads on the check page, the staff page and the slips."""
    if value is None or value == "":
        return ""
    if spec.type == "checkbox":
        return gettext("Yes") if value in (True, "y") else gettext("No")
    if spec.type in CHOICE_TYPES:
        return spec.option_label(value) or str(value)
    if spec.type == "commune":
        return commune_label(value) or str(value)
    if spec.type == "date":
        parsed = parse_date(str(value))
        return format_date(parsed) if parsed else str(value)
    if spec.type == "phone":
        from district_portal.services.accounts.phones import display_phone

        return display_phone(value) if str(value).startswith("+") else str(value)
    return str(value)


def to_raw(value) -> str:
    """A stored typed answer back to the text an input shows."""
    if value is True:
        return "y"
    if value in (False, None):
        return ""
    return str(value)
