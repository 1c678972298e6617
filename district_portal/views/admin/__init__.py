"""The admin console (issue 13): /admin, server-rendered, works without JavaScript.

Admins only (access.can_administer); anyone else gets the staff pages' 404, and anonymous
visitors the login page. Each section is a module of this package on the one blueprint; each
change goes through services/admin and lands in the audit log in the same transaction."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from district_portal import access

bp = Blueprint("admin", __name__, url_prefix="/admin")
NO_STORE = {"Cache-Control": "no-store"}
# (endpoint, label, one-line note, province admins only): the index's list of sections, in
# the order the modules below add themselves with section().
SECTIONS: list[tuple[str, object, object, bool]] = []


def section(endpoint: str, label, note, province_only: bool = False) -> None:
    """List a section on /admin (labels are lazy_gettext strings)."""
    SECTIONS.append((endpoint, label, note, province_only))


@bp.before_request
def admins_only():
    if not current_user.is_authenticated:
        return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
    if not access.can_administer(current_user):
        abort(404)
    return None


@bp.after_request
def no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.get("/")
def index():
    return render_template("admin/index.html", sections=SECTIONS,
                           province_admin=access.is_province_admin(current_user))


# The sections register their routes on `bp` when imported (after `bp` exists).
from district_portal.views.admin import (  # noqa: E402,F401,I001 (order of the index)
    procedures,
    forms,
    offices,
    staff,
    calendar,
    catalogue,
    audit,
)
