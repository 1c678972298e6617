"""The sandbox gateway's pages (registered only with PORTAL_PAYMENT_SANDBOX=1): VNPay's
payment page where a tester picks success, failure or cancel; the IPN delivery and the
redirect back; replaying an IPN; and the query API for `portal payments-reconcile`."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from district_portal import db
from district_portal.db import get_db
from district_portal.extensions import csrf
from district_portal.forms import ConfirmForm
from district_portal.services.payments import sandbox
from district_portal.services.payments.sandbox import SandboxError

bp = Blueprint("sandbox", __name__, url_prefix="/payments/sandbox")


@bp.get("/pay")
def pay_page():
    query = request.query_string.decode("utf-8", "replace")
    try:
        pay = sandbox.read_request(query)
    except SandboxError as exc:
        return render_template("payments/sandbox_error.html", message=exc.message), exc.status
    return render_template("payments/sandbox_pay.html", pay=pay, form=ConfirmForm())


@bp.post("/pay")
def decide():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        txn = sandbox.decide(db.session(), request.form.get("query", ""),
                             request.form.get("outcome", ""))
    except SandboxError as exc:
        return render_template("payments/sandbox_error.html", message=exc.message), exc.status
    # The IPN goes out once this request has committed: the next request delivers it.
    return redirect(url_for("sandbox.deliver", txn_ref=txn.txn_ref), 303)


def _stored(txn_ref: str):
    """The sandbox's record, read in a short transaction that is over before the IPN goes
    out (the IPN handler must not wait for a lock this request holds)."""
    with get_db().transaction(write=False) as session:
        txn = sandbox.find(session, txn_ref)
        if txn is None:
            abort(404)
        return dict(txn.ipn), sandbox.return_url(txn)


@bp.get("/deliver/<txn_ref>")
def deliver(txn_ref: str):
    ipn, back = _stored(txn_ref)
    sandbox.deliver_ipn(ipn)
    return redirect(back, 303)


@bp.get("/")
def index():
    with get_db().transaction(write=False) as session:
        rows = sandbox.recent(session)
    return render_template("payments/sandbox_index.html", rows=rows, form=ConfirmForm(),
                           answer=None)


@bp.post("/replay/<txn_ref>")
def replay(txn_ref: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ipn, _ = _stored(txn_ref)
    answer = sandbox.deliver_ipn(ipn)
    with get_db().transaction(write=False) as session:
        rows = sandbox.recent(session)
    return render_template("payments/sandbox_index.html", rows=rows, form=ConfirmForm(),
                           answer=answer, replayed=txn_ref)


@bp.post("/querydr")
@csrf.exempt
def querydr():
    body = request.get_json(silent=True)
    return jsonify(sandbox.query_answer(db.session(), body if isinstance(body, dict) else {}))
