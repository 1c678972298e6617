"""Forms of the staff pages: inbox filters, one small form per workflow action, counter
intake. Each action form turns its fields into the inputs of workflow.perform."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from district_portal.forms import PortalForm, StripForm
from district_portal.forms.filing import RateForm
from district_portal.models import Action
from district_portal.text import format_money, from_local

# Dates typed by staff: outside these years the local ↔ UTC arithmetic overflows (year 1, year
# 9999) and no real dossier date lies there anyway.
FIRST_YEAR, LAST_YEAR = 1900, 2100


class PlausibleDate:
    """A date between FIRST_YEAR and LAST_YEAR (an empty field is the other validators' job)."""

    def __call__(self, form, field):
        if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Enter a date between the years %(first)d and %(last)d.",
                                     first=FIRST_YEAR, last=LAST_YEAR))

# --- inbox ---------------------------------------------------------------------------------


class InboxFilterForm(StripForm):
    """GET filters of the inbox (no CSRF: it changes nothing)."""

    tab = HiddenField()
    q = StringField(_l("Code, tracking code, applicant name or phone"),
                    validators=[Optional(), Length(max=100)])
    procedure = SelectField(_l("Procedure"), choices=[], validate_choice=False,
                            validators=[Optional()])
    date_from = DateField(_l("Submitted from"), validators=[Optional(), PlausibleDate()])
    date_to = DateField(_l("Submitted until"), validators=[Optional(), PlausibleDate()])
    after = HiddenField()

    def set_procedures(self, procedures) -> None:
        self.procedure.choices = [SelectChoice("", _l("All procedures"))] + [
            SelectChoice(p.code, p.name) for p in procedures]


# --- workflow actions --------------------------------------------------------------------


class ActionForm(PortalForm):
    """Every action form carries the dossier's version (optimistic lock)."""

    version = HiddenField(validators=[InputRequired()])

    def __init__(self, *args, dossier=None, officers=(), offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        if dossier is not None and not self.version.data:
            self.version.data = str(dossier.version)

    def expected_version(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return -1

    def inputs(self) -> dict:
        return {}


class ConfirmActionForm(ActionForm):
    """accept, complete (its result inputs come from the results feature)."""


class ReasonForm(ActionForm):
    """refuse, request_supplement, stop."""

    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(_l("Write the reason.")), Length(max=2000)])

    def inputs(self) -> dict:
        return {"reason": self.reason.data}


class DeskSupplementForm(ActionForm):
    """The applicant brought what was missing to the desk."""

    note = TextAreaField(_l("What the applicant brought or corrected"), validators=[
        DataRequired(_l("Write what the applicant brought.")), Length(max=2000)])

    def inputs(self) -> dict:
        return {"changes": [f"desk: {self.note.data}"], "note": self.note.data}


class AssignForm(ActionForm):
    officer = SelectField(_l("Officer"), choices=[],
                          validators=[DataRequired(_l("Choose an officer."))])

    def __init__(self, *args, officers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._officers = {u.public_id: u for u in officers}
        self.officer.choices = [SelectChoice("", _l("– choose –"))] + [
            SelectChoice(u.public_id, u.full_name) for u in officers]

    def inputs(self) -> dict:
        return {"officer": self._officers.get(self.officer.data)}


class TransferForm(ActionForm):
    office = SelectField(_l("Office"), choices=[],
                         validators=[DataRequired(_l("Choose the office."))])
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(_l("Write the reason.")), Length(max=2000)])
    # Internal by default: a transfer's reason is between offices.
    note_public = BooleanField(_l("Let the applicant read the reason"), default=False)

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._offices = {o.agency_code: o for o in offices}
        self.office.choices = [SelectChoice("", _l("– choose –"))] + [
            SelectChoice(o.agency_code, o.name) for o in offices]

    def inputs(self) -> dict:
        return {"office": self._offices.get(self.office.data), "reason": self.reason.data,
                "note_public": bool(self.note_public.data)}


class PaymentForm(ActionForm):
    amount = IntegerField(_l("Amount (đồng)"), validators=[
        InputRequired(_l("Enter the amount.")),
        NumberRange(min=1, max=10_000_000_000,
                    message=_l("Enter an amount in đồng greater than zero."))])

    def inputs(self) -> dict:
        return {"amount": self.amount.data}


class DeskPaymentForm(ActionForm):
    """The fee taken in cash at the desk: the amount received must equal the fee."""

    amount = IntegerField(_l("Amount received (đồng)"), validators=[
        InputRequired(_l("Enter the amount received."))])

    def validate_amount(self, field) -> None:
        fee = getattr(self.dossier, "fee", None)
        if fee and field.data != fee:
            raise ValidationError(_l("The amount received must equal the fee: %(fee)s.",
                                     fee=format_money(fee)))

    def inputs(self) -> dict:
        return {"amount": self.amount.data}


class ExtendForm(ActionForm):
    due_date = DateField(_l("New due date"), validators=[
        InputRequired(_l("Enter the new due date.")), PlausibleDate()])
    due_time = TimeField(_l("Time"), validators=[InputRequired(_l("Enter the time."))])
    reason = TextAreaField(_l("Reason (shown on the apology slip)"), validators=[
        DataRequired(_l("Write the reason.")), Length(max=2000)])

    def inputs(self) -> dict:
        # The clerk types local time (Asia/Ho_Chi_Minh); the database keeps UTC.
        due = from_local(datetime.combine(self.due_date.data, self.due_time.data))
        return {"due_at": due, "reason": self.reason.data}


class ReturnForm(ActionForm):
    way = RadioField(
        _l("How the result was delivered"),
        choices=[SelectChoice("online", _l("Online")),
                 SelectChoice("pickup", _l("Picked up at the desk")),
                 SelectChoice("post", _l("By post"))],
        validators=[InputRequired(_l("Choose how the result was delivered."))])
    address = StringField(_l("Postal address"), validators=[Optional(), Length(max=300)])
    waybill = StringField(_l("Waybill number"), validators=[Optional(), Length(max=60)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = (self.dossier.delivery or {}) if self.dossier is not None else {}
        if chosen.get("way") == "post" and kwargs.get("formdata") is None:
            # The resident asked for post: prefill the way and the address they gave.
            self.way.data = self.way.data or "post"
            self.address.data = self.address.data or chosen.get("address", "")

    def inputs(self) -> dict:
        delivery = {"way": self.way.data}
        if self.way.data == "post":
            chosen = (self.dossier.delivery or {}) if self.dossier is not None else {}
            # Keep what the resident chose (phone, commune, postage) beside the waybill.
            delivery = {**(chosen if chosen.get("way") == "post" else {}), **delivery}
            delivery.update(address=self.address.data or "", waybill=self.waybill.data or "")
        return {"delivery": delivery}


class StaffRateForm(ActionForm, RateForm):
    """The clerk records the rating the resident gives at the counter."""

    def inputs(self) -> dict:
        return self.rating_inputs()


# The staff page offers these actions; submit and withdraw are not the office's (rate is, on the
# resident's behalf at the counter).
ACTION_FORMS: dict[Action, type[ActionForm]] = {
    Action.ACCEPT: ConfirmActionForm,
    Action.REFUSE: ReasonForm,
    Action.REQUEST_SUPPLEMENT: ReasonForm,
    Action.SUPPLEMENT: DeskSupplementForm,
    Action.ASSIGN: AssignForm,
    Action.TRANSFER: TransferForm,
    Action.REQUEST_PAYMENT: PaymentForm,
    Action.PAY: DeskPaymentForm,
    Action.RETURN_RESULT: ReturnForm,
    Action.STOP: ReasonForm,
    Action.EXTEND: ExtendForm,
    Action.COMPLETE: ConfirmActionForm,
    Action.RATE: StaffRateForm,
}
# Shown as buttons; `complete` is reached from the results page (built separately).
UI_ACTIONS = tuple(a for a in ACTION_FORMS if a != Action.COMPLETE)

ACTION_BUTTONS = {
    Action.ACCEPT: _l("Receive the dossier"),
    Action.REFUSE: _l("Refuse to receive"),
    Action.REQUEST_SUPPLEMENT: _l("Ask for a supplement"),
    Action.SUPPLEMENT: _l("Record a supplement brought to the desk"),
    Action.ASSIGN: _l("Assign to an officer"),
    Action.TRANSFER: _l("Transfer to another office"),
    Action.REQUEST_PAYMENT: _l("Ask for payment"),
    Action.PAY: _l("Record payment at the desk"),
    Action.RETURN_RESULT: _l("Record the result as returned"),
    Action.STOP: _l("Stop processing"),
    Action.EXTEND: _l("Extend the due date"),
    Action.COMPLETE: _l("Issue the result"),
    Action.RATE: _l("Record the applicant's rating"),
}


def action_form(action: Action, dossier, officers=(), offices=(), formdata=None) -> ActionForm:
    """The form of one action, bound to the posted data when `formdata` is given."""
    cls = ACTION_FORMS[action]
    kwargs = {"dossier": dossier, "prefix": str(action)}
    if cls is AssignForm:
        kwargs["officers"] = officers
    if cls is TransferForm:
        kwargs["offices"] = offices
    if formdata is not None:
        kwargs["formdata"] = formdata
    form = cls(**kwargs)
    form.action = action
    return form


# --- counter intake and calendar ---------------------------------------------------------


class CounterStartForm(PortalForm):
    procedure = SelectField(_l("Procedure"), choices=[],
                            validators=[DataRequired(_l("Choose a procedure."))])

    def set_procedures(self, procedures) -> None:
        self.procedure.choices = [SelectChoice("", _l("– choose –"))] + [
            SelectChoice(p.code, p.name) for p in procedures]
