"""Public pages: home, catalogue, procedure handbook."""

from __future__ import annotations

import math

from flask import Blueprint, abort, render_template, request

from district_portal import db
from district_portal.forms.public import CatalogSearchForm
from district_portal.services.catalog import queries

bp = Blueprint("public", __name__)
PER_PAGE = 20


@bp.get("/")
def home():
    session = db.session()
    return render_template(
        "public/home.html",
        counts=queries.count_by_level(session),
        popular=queries.most_used(session),
    )


@bp.get("/procedures")
def procedures():
    form = CatalogSearchForm(request.args)
    f = form.filters()
    session = db.session()
    flt = queries.ProcedureFilter(q=f["q"], field=f["field"], level=f["level"], office=f["office"])
    rows, total = queries.search_procedures(session, flt, page=f["page"], per_page=PER_PAGE)
    return render_template(
        "public/procedures.html",
        form=form,
        filters=f,
        rows=rows,
        total=total,
        page=f["page"],
        pages=max(1, math.ceil(total / PER_PAGE)),
        fields=queries.list_fields(session),
        offices=queries.receiving_offices(session),
        popular=queries.most_used(session) if total == 0 else [],
    )


@bp.get("/procedures/<code>")
def procedure(code: str):
    proc = queries.published_procedure(db.session(), code)
    if proc is None:
        abort(404)
    return render_template("public/procedure.html", proc=proc, v=proc.current_version.data,
                           offices=proc.receiving_offices)
