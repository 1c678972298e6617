"""Forms of the documents blueprint: preparing and issuing results, verifying, the ledger."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from district_portal.forms import PortalForm, StripForm


class PrepareResultForm(PortalForm):
    """One of two ways: render the template, or upload the signed scan (`scan`)."""

    way = HiddenField(validators=[AnyOf(("rendered", "scan"),
                                        message=_l("Choose how to prepare the result."))])
    scan = FileField(_l("Signed scan (PDF)"))


class IssueForm(PortalForm):
    """The leader's button; `version` refuses the click if someone acted first."""

    version = IntegerField(validators=[DataRequired()])


class VerifyForm(PortalForm):
    document = FileField(_l("The PDF file to check"))


class LedgerForm(StripForm):
    """GET form: the period of the ledger (the PDF's URL carries ?from=&to=)."""

    date_from = StringField(_l("From (day)"), name="from", validators=[Length(max=10)])
    date_to = StringField(_l("To (day)"), name="to", validators=[Length(max=10)])
