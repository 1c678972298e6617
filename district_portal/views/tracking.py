"""/track (a dossier's status for its code and the applicant's phone or ID number) and the
communes list the e-form's script asks for; routes of the filing blueprint."""

from __future__ import annotations

from flask import abort, render_template, request

from district_portal import access, db
from district_portal.eform import communes
from district_portal.extensions import csrf, limiter
from district_portal.forms.filing import TrackForm, tracking_limit_key
from district_portal.services.dossiers import filing
from district_portal.services.dossiers.workflow import STATUS_LABELS
from district_portal.views.filing import bp, history_of

TRACK_LIMIT = "30/minute;300/day"  # per client address, every look-up
# Per phone or ID number, whatever address asks, counting only look-ups that found nothing:
# someone who knows a person's phone cannot step through the sequential dossier codes.
TRACK_MISS_LIMIT = "10/hour;20/day"


@bp.route("/track", methods=["GET", "POST"])
@csrf.exempt  # no cookie, so no token: the origin is checked instead (access.same_site_form)
@limiter.limit(TRACK_LIMIT, methods=["POST"])
@limiter.limit(TRACK_MISS_LIMIT, methods=["POST"], key_func=tracking_limit_key,
               deduct_when=lambda response: response.status_code == 404)
def track():
    """Status, dates and office of a dossier, for its code or ref and the applicant's phone
    or ID number; never the office's notes or staff names. Sets no cookie: the form (also on
    the home page) carries no CSRF token, and a cross-site POST is refused."""
    if request.method == "POST" and not access.same_site_form(request.headers,
                                                               request.host_url):
        abort(403)
    form = TrackForm()
    found = None
    status = 200
    if form.validate_on_submit():
        found = filing.find_for_tracking(db.session(), form.lookup.data,
                                         **form.contact_inputs())
        if found is None:
            status = 404
    elif request.method == "POST":
        status = 400
    return render_template("filing/track.html", form=form, found=found, labels=STATUS_LABELS,
                           events=history_of(found) if found else [],
                           searched=request.method == "POST"), status


@bp.get("/api/v1/units/<int:province>/communes")
def communes_json(province: int):
    """Communes of a province for the form's script (the page works without it)."""
    try:
        rows = communes(province)
    except ValueError:
        abort(404)
    response = {"province": province,
                "communes": [{"code": w.code.value, "name": w.name} for w in rows]}
    return response, 200, {"Cache-Control": "public, max-age=86400"}
