"""How to get help: every office's address, phone and opening hours (/offices), and the same
cards for every page's footer, the procedure page and the tracking page."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template

from district_portal import db
from district_portal.services.catalog import contacts

bp = Blueprint("contacts", __name__)


@bp.get("/offices")
def offices():
    """Where to go and whom to call: every office that receives dossiers."""
    return render_template("public/offices.html", help=_help_offices())


def _help_offices() -> contacts.HelpList:
    """Once per request; an error page whose database is gone still renders (no cards)."""
    if "help_offices" not in g:
        try:
            g.help_offices = contacts.help_offices(db.session())
        except Exception:  # the footer of an error page must never fail the page itself
            current_app.logger.exception("office contacts could not be loaded")
            g.help_offices = contacts.HelpList([])
    return g.help_offices


@bp.app_context_processor
def _globals():
    return {"help_offices": _help_offices, "office_contacts": contacts.contacts_of}
