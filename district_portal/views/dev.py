"""Development only (`make run`): queued SMS and email are delivered right after the request
that queued them (the log backends only write a local file), and /dev/outbox shows them so a
person trying the portal can read a confirmation code without a phone. Never registered in
test or production, where /dev/outbox is a 404 and `portal send-notifications` sends."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, render_template, request

from district_portal import db
from district_portal.services import notifications

bp = Blueprint("dev", __name__, url_prefix="/dev")


LOOPBACK = {"127.0.0.1", "::1"}


@bp.get("/outbox")
def outbox():
    """The newest SMS and email messages, sent or waiting, for whoever runs the demo on this
    machine (a development server reachable from the network does not show them)."""
    if request.remote_addr not in LOOPBACK:
        abort(404)
    return render_template("dev/outbox.html", notes=notifications.recent(db.session()))


def _deliver(response):
    """After the request's own commit (db.commit_after_request runs first), send what it
    queued through the log backends, in a transaction of its own; a failure is logged and
    the row stays queued for `portal send-notifications`."""
    channels = notifications.log_channels(current_app.config)
    if request.method in db.SAFE_METHODS or response.status_code >= 500 or not channels:
        return response
    try:
        with db.get_db().transaction() as session:
            notifications.send_pending(session, current_app.config, channels=channels)
    except Exception:  # the page the person asked for matters more than the demo's outbox
        current_app.logger.exception("development delivery of queued messages failed")
    return response


def init_app(app: Flask) -> None:
    """Register before db.commit_after_request so that _deliver runs after the commit."""
    app.register_blueprint(bp)
    app.after_request(_deliver)
