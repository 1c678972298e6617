"""Field specs: what the e-form asks, built from the applicant section (the same on every
form) and a procedure version's catalogue fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from district_portal.collation import sorted_vi
from district_portal.eform.places import office_province

CHOICE_TYPES = ("select", "radio")
APPLICANT_PREFIX = "applicant_"


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
    default_province: int | None = None  # commune fields: the province shown before a choice

    @classmethod
    def from_catalog(cls, f: dict) -> FieldSpec:
        return cls(key=f["key"], label=f["label"], type=f["type"],
                   required=f.get("required", False), help=f.get("help", ""),
                   options=f.get("options", []), min_length=f.get("min_length"),
                   max_length=f.get("max_length"), min=f.get("min"), max=f.get("max"),
                   pattern=f.get("pattern"), visible_if=f.get("visible_if"))

    @property
    def is_applicant(self) -> bool:
        return self.key.startswith(APPLICANT_PREFIX)

    def option_label(self, value) -> str:
        return next((o["label"] for o in self.options if o["value"] == value), "")


APPLICANT_KINDS = ("person", "organisation")


def applicant_specs(offices: list | None = None, applicants: list[str] | None = None, *,
                    counter: bool = False) -> list[FieldSpec]:
    """The applicant section, the same on every form (keys start with applicant_); with a
    choice of receiving office when more than one receives the procedure. `applicants` (the
    catalogue's list, default both) limits who may file: a birth is registered by a person,
    so its form offers no organisation. Online the phone is required (tracking and SMS use
    it); at the counter (`counter`) a walk-in may have none: they are told on paper and track
    the dossier by its code and their ID number."""
    person = {"field": "applicant_type", "equals": "person"}
    org = {"field": "applicant_type", "equals": "organisation"}
    kinds = [k for k in APPLICANT_KINDS if k in (applicants or APPLICANT_KINDS)]
    labels = {"person": str(_l("A person")), "organisation": str(_l("An organisation"))}
    said = _counter_labels() if counter else _resident_labels()
    specs = [
        FieldSpec("applicant_type", said["type"], "radio", True,
                  options=[{"value": k, "label": labels[k]} for k in kinds],
                  required_message=str(_l("Choose whether you file as a person or as an "
                                          "organisation."))),
        FieldSpec("applicant_name", str(_l("Full name (or organisation name)"))
                  if "organisation" in kinds else str(_l("Full name")), "text", True,
                  max_length=200, autocomplete="name"),
        FieldSpec("applicant_id_number", str(_l("Personal ID number")), "id_number", True,
                  visible_if=person),
        FieldSpec("applicant_tax_code", str(_l("Tax code")), "tax_code", True, visible_if=org,
                  help=str(_l("10 digits, or 13 with the branch: 0123456789-001"))),
        FieldSpec("applicant_representative", str(_l("Legal representative")), "text", True,
                  max_length=200, visible_if=org),
        _phone_spec(counter),
        FieldSpec("applicant_email", said["email"], "email", False, autocomplete="email"),
        FieldSpec("applicant_commune", said["commune"], "commune", True),
        FieldSpec("applicant_street", str(_l("House number, street, hamlet")), "text", False,
                  max_length=200, autocomplete="street-address"),
    ]
    if offices and len(offices) > 1:
        specs.append(FieldSpec(
            "applicant_office", said["office"], "select", True,
            options=[{"value": o.agency_code, "label": o.name}
                     for o in sorted_vi(offices, key=lambda o: o.name)]))
    return specs


def _resident_labels() -> dict[str, str]:
    """The resident fills the form in: it speaks to them."""
    return {"type": str(_l("You are filing as")), "email": str(_l("Email (if you have one)")),
            "commune": str(_l("Commune or ward where you live")),
            "office": str(_l("Office that receives your dossier"))}


def _counter_labels() -> dict[str, str]:
    """A clerk fills it in at the counter: it speaks of the applicant (người nộp)."""
    return {"type": str(_l("The applicant files as")),
            "email": str(_l("Applicant's email")),
            "commune": str(_l("Commune or ward where the applicant lives")),
            "office": str(_l("Office that receives the dossier"))}


def _phone_spec(counter: bool) -> FieldSpec:
    if counter:
        return FieldSpec("applicant_phone", str(_l("Mobile phone number (if the applicant has "
                                                   "one)")), "phone", False, autocomplete="off",
                         help=str(_l("Leave it empty if the applicant has no mobile phone: "
                                     "they are told on paper and follow the dossier with its "
                                     "code and their ID number.")))
    return FieldSpec("applicant_phone", str(_l("Mobile phone number")), "phone", True,
                     help=str(_l("Used to follow your dossier and to receive SMS messages.")),
                     autocomplete="tel")


def procedure_specs(version_data: dict) -> list[FieldSpec]:
    """The catalogue fields of a procedure version, in their order."""
    return [FieldSpec.from_catalog(f) for f in version_data.get("fields", [])]


def form_specs(version_data: dict, offices: list | None = None, *,
               counter: bool = False) -> list[FieldSpec]:
    """Every field of the e-form of a procedure version: applicant section, then fields.
    Commune fields start on the province of the receiving offices."""
    specs = applicant_specs(offices, version_data.get("applicants"), counter=counter) + \
        procedure_specs(version_data)
    home = next((p for p in map(office_province, offices or []) if p is not None), None)
    for spec in specs:
        if spec.type == "commune":
            spec.default_province = home
    return specs
