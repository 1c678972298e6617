"""WTForms: one module per blueprint, on a base that trims and normalises text to NFC."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form

from district_portal.text import clean


def _clean_filter(value):
    return clean(value) if isinstance(value, str) else value


class _CleanMeta:
    def bind_field(self, form, unbound_field, options):
        # Pass the filters at bind time: editing the class-level unbound field instead would
        # add one more filter on every form instantiation.
        filters = (_clean_filter, *unbound_field.kwargs.get("filters", ()))
        return unbound_field.bind(form=form, **{**options, "filters": filters})


class StripForm(Form):
    """A form (no CSRF: GET filters) whose text is trimmed and NFC-normalised."""

    class Meta(_CleanMeta):
        pass


class PortalForm(FlaskForm):
    """A CSRF-protected form whose text is trimmed and NFC-normalised."""

    class Meta(_CleanMeta):
        pass


class ConfirmForm(PortalForm):
    """A bare CSRF-protected button: withdraw, delete a file, log out, resend a code."""
