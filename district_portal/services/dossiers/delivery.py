"""How the resident wants the result: online or at the desk (as the procedure gives it), or by
post to an address, at the postage the receiving office set. Chosen on the check page before
submitting, or on the dossier page any time before the result is returned; the clerk then
records the waybill at return_result (the address is prefilled from this choice)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from district_portal.eform import DossierForm, FieldSpec
from district_portal.eform.places import office_province
from district_portal.models import Action, Dossier, DossierStatus, User
from district_portal.models.types import utcnow
from district_portal.phones import display_phone
from district_portal.services.dossiers.workflow import OPEN_STATUSES, statuses_from
from district_portal.services.errors import ServiceError
from district_portal.text import format_money

S = DossierStatus
# Before the result is returned, and not closed otherwise: a draft, an open dossier, or one
# whose result waits to be returned (derived from the transition table).
CHOICE_STATUSES = frozenset({S.DRAFT}) | OPEN_STATUSES | statuses_from(Action.RETURN_RESULT)
WAY, COMMUNE, STREET, PHONE = "delivery_way", "post_commune", "post_street", "post_phone"


class DeliveryError(ServiceError):
    """The delivery choice was refused; the form carries the messages per field."""


def postage(dossier: Dossier) -> int | None:
    """The postage of the receiving office when the result can go by post, else None."""
    result = dossier.procedure_version.data.get("result") or {}
    office = dossier.receiving_office
    if not result.get("by_post") or office is None:
        return None
    return office.postage


def standard_way(dossier: Dossier) -> str:
    """'online' when the procedure's result can be downloaded, else 'pickup'."""
    result = dossier.procedure_version.data.get("result") or {}
    return "online" if result.get("template") or result.get("signed_scan") else "pickup"


def specs(dossier: Dossier) -> list[FieldSpec]:
    """The delivery questions (the e-form's field kinds, so the commune chooser and the
    address fields work as on the e-form, with or without JavaScript)."""
    amount = postage(dossier) or 0
    standard = standard_way(dossier)
    post = {"field": WAY, "equals": "post"}
    return [
        FieldSpec(WAY, str(_l("How do you want to receive the result?")), "radio", True,
                  options=[
                      {"value": standard, "label": str(
                          _l("Download it online") if standard == "online"
                          else _l("Collect it at the desk"))},
                      {"value": "post", "label": str(_l(
                          "Send it by post: postage %(amount)s, paid when it is delivered",
                          amount=format_money(amount)) if amount else _l(
                          "Send it by post, free of postage"))}],
                  required_message=str(_l("Choose how you want to receive the result."))),
        FieldSpec(COMMUNE, str(_l("Commune or ward to deliver to")), "commune", True,
                  visible_if=post, default_province=office_province(dossier.receiving_office)),
        FieldSpec(STREET, str(_l("House number, street, hamlet to deliver to")), "text", True,
                  max_length=200, visible_if=post, autocomplete="street-address"),
        FieldSpec(PHONE, str(_l("Phone number for the postman")), "phone", True,
                  visible_if=post, autocomplete="tel"),
    ]


def load_form(dossier: Dossier) -> DossierForm:
    """The form filled with the current choice, or with the applicant's address and phone."""
    chosen = dossier.delivery or {}
    applicant = dossier.applicant or {}

    def pick(key):  # a draft keeps raw applicant_* keys, a filed dossier typed ones
        return applicant.get(f"applicant_{key}", applicant.get(key)) or ""

    if chosen.get("way") == "post":
        raw = {WAY: "post", COMMUNE: str(chosen.get("commune") or ""),
               STREET: chosen.get("street") or "", PHONE: display_phone(chosen.get("phone"))}
    else:
        phone = pick("phone")
        raw = {WAY: chosen.get("way") if chosen.get("way") in ("online", "pickup") else "",
               COMMUNE: str(pick("commune")), STREET: pick("street"),
               PHONE: display_phone(phone) if str(phone).startswith("+") else phone}
        if raw[WAY] and raw[WAY] != standard_way(dossier):
            raw[WAY] = standard_way(dossier)
    return DossierForm(specs(dossier), raw)


def form_from(dossier: Dossier, formdata) -> DossierForm:
    return DossierForm.from_formdata(specs(dossier), formdata)


def choose(session: Session, dossier: Dossier, form: DossierForm, actor: User) -> None:
    """Record the resident's choice; refuses (DeliveryError, nothing changed) when post is
    not offered, the result was already returned, or an answer is wrong (form.errors)."""
    amount = postage(dossier)
    if dossier.status not in CHOICE_STATUSES:
        raise DeliveryError(_l("The result has already been returned; the way of delivery "
                               "can no longer be changed."), 409)
    if amount is None:
        raise DeliveryError(_l("This office does not send this result by post."), 400)
    if not form.validate():
        raise DeliveryError(_l("Some answers need correcting."), 400)
    cleaned = form.cleaned()
    now = utcnow()
    if cleaned[WAY] != "post":
        dossier.delivery = {"way": standard_way(dossier), "chosen_at": now.isoformat()}
    else:
        address = ", ".join(p for p in (cleaned[STREET], cleaned[f"{COMMUNE}_label"]) if p)
        dossier.delivery = {
            "way": "post", "commune": cleaned[COMMUNE],
            "commune_label": cleaned[f"{COMMUNE}_label"], "street": cleaned[STREET],
            "phone": cleaned[PHONE], "address": address, "postage": amount,
            "chosen_at": now.isoformat(), "chosen_by": actor.public_id,
        }
    dossier.updated_at = now
    session.flush()
