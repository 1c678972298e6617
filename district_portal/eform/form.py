"""The e-form of one dossier: raw text by field key, which fields are visible, validation,
typed answers and display rows. Plain Python, no WTForms: the catalogue decides the fields at
run time, the commune field is two inputs and `visible_if` must work without JavaScript.

Input names are the field keys; a commune field's province input is `<key>.province` (a dot
cannot occur in a catalogue key). Drafts keep the raw text exactly as typed (trimmed, NFC);
cleaned() gives the typed answers when the dossier is submitted."""

from __future__ import annotations

from collections.abc import Mapping

from district_portal.eform import places
from district_portal.eform.display import display_value
from district_portal.eform.specs import CHOICE_TYPES, FieldSpec
from district_portal.eform.validators import FieldError, clean_value
from district_portal.text import clean


class DossierForm:
    """Raw values, visibility, validation and rendering data for one e-form page."""

    def __init__(self, specs: list[FieldSpec], raw: Mapping[str, str] | None = None,
                 action: str = "next"):
        self.specs = specs
        self.by_key = {s.key: s for s in specs}
        self.raw: dict[str, str] = dict(raw or {})
        self.errors: dict[str, str] = {}
        self.action = action  # the button pressed: next, later, refresh or send

    @classmethod
    def from_formdata(cls, specs: list[FieldSpec], formdata: Mapping[str, str]) -> DossierForm:
        """The posted text of every field (trimmed, NFC, invisible characters dropped)."""
        raw = {}
        for spec in specs:
            if spec.type == "checkbox":
                raw[spec.key] = "y" if formdata.get(spec.key) else ""
                continue
            raw[spec.key] = clean(formdata.get(spec.key, ""))
            if spec.type == "commune":
                raw[f"{spec.key}.province"] = clean(formdata.get(f"{spec.key}.province", ""))
        return cls(specs, raw, clean(formdata.get("_action", "")) or "next")

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
                clean_value(spec, self.raw.get(spec.key, ""), self.raw)
            except FieldError as exc:
                self.errors[spec.key] = str(exc)
        return not self.errors

    def cleaned(self) -> dict:
        """Typed answers of the visible fields, plus `<key>_label` for select, radio and
        commune; FieldError if one is invalid (validate first)."""
        out: dict = {}
        for spec in self.visible_specs():
            value = clean_value(spec, self.raw.get(spec.key, ""), self.raw)
            out[spec.key] = value
            if spec.type in CHOICE_TYPES and value is not None:
                out[f"{spec.key}_label"] = spec.option_label(value)
            if spec.type == "commune" and value is not None:
                out[f"{spec.key}_label"] = places.commune_label(value)
        return out

    # --- rendering helpers ----------------------------------------------------------------

    def display_rows(self) -> list[tuple[FieldSpec, str]]:
        """(field, answer as it reads) for every visible field: check page, dossier pages."""
        return [(spec, display_value(spec, self.raw.get(spec.key, "")))
                for spec in self.visible_specs()]

    def province_of(self, spec: FieldSpec) -> int | None:
        """The chosen province, or before any choice the receiving office's."""
        if not places.chosen(self.raw, spec.key):
            return spec.default_province
        return places.province_of(self.raw, spec.key)

    def communes_of(self, spec: FieldSpec):
        return places.communes_of(self.raw, spec.key, spec.default_province)
