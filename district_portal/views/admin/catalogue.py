"""Admin console section: catalogue import and export (issue 13), province admins only; and the
link to the API keys page (views/api_keys.py), also the province admins'."""

from __future__ import annotations

import json

from flask import Response, abort, flash, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from district_portal import access, db
from district_portal.forms.admin_records import CatalogueImportForm
from district_portal.models.types import utcnow
from district_portal.services.admin import catalogue
from district_portal.services.catalog.importer import CatalogError
from district_portal.text import to_local
from district_portal.views.admin import bp, section

section("admin.catalogue_index", _l("Catalogue import and export"),
        _l("Download the catalogue file, or check and import one (all or nothing)."),
        province_only=True)
section("api_keys.index", _l("API keys and webhooks"),
        _l("Access for other systems: keys for the changes feed, webhooks."), province_only=True)


@bp.app_context_processor
def _api_keys_link():
    return {"can_manage_api_keys": access.can_manage_api_keys}


def _province_admins_only() -> None:
    if not access.can_edit_catalogue(current_user):
        abort(404)


def _page(form, errors=None, report=None, checked=False, status=200):
    return render_template("admin/catalogue/index.html", form=form, errors=errors,
                           report=report, checked=checked,
                           max_mb=catalogue.MAX_BYTES // (1024 * 1024)), status


@bp.get("/catalogue/")
def catalogue_index():
    _province_admins_only()
    return _page(CatalogueImportForm(formdata=None))


@bp.get("/catalogue/export.json")
def catalogue_export():
    _province_admins_only()
    doc = catalogue.export(db.session(), current_user)
    body = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    name = f"danh-muc-thu-tuc-{to_local(utcnow()):%Y-%m-%d}.json"
    return Response(body.encode("utf-8"), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/catalogue/")
def catalogue_import():
    _province_admins_only()
    form = CatalogueImportForm()
    if not form.validate_on_submit():
        abort(400)
    check_only = request.form.get("action") == "check"
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [gettext("Choose the catalogue file to import.")]
        return _page(form, status=400)
    raw = upload.stream.read(catalogue.MAX_BYTES + 1)
    session = db.session()
    try:
        doc = catalogue.parse(raw)
        report = catalogue.run_import(session, current_user, doc, check_only=check_only)
    except CatalogError as exc:
        return _page(form, errors=catalogue.readable(exc.errors), checked=check_only, status=400)
    if not check_only:
        flash(gettext("The catalogue file was imported."), "success")
    return _page(CatalogueImportForm(formdata=None), report=report, checked=check_only)
