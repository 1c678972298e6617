"""Paying online: the resident's "pay" button, VNPay's return page (display only) and its
server-to-server notification (IPN, the only thing that settles an online payment), and the
e-receipts (biên lai) of paid payments."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from district_portal import access, db
from district_portal.extensions import csrf, limiter
from district_portal.forms import ConfirmForm
from district_portal.models import Payment
from district_portal.services.documents import fee_receipts
from district_portal.services.dossiers import filing
from district_portal.services.payments import attempts, ipn
from district_portal.services.payments.attempts import PaymentError
from district_portal.views import pdf_response

bp = Blueprint("payments", __name__)


def _own(public_id: str, check):
    dossier = filing.get_by_public_id(db.session(), public_id)
    if dossier is None or not check(current_user, dossier):
        abort(404)
    return dossier


@bp.post("/my/dossiers/<public_id>/pay")
@login_required
@limiter.limit("20/minute")
def pay(public_id: str):
    # Only the owner may pay (another resident's dossier is "not found").
    dossier = _own(public_id, access.is_owner)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        _, url = attempts.start_online_payment(db.session(), dossier, request.remote_addr or "")
    except PaymentError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("filing.dossier", public_id=public_id), 303)
    return redirect(url, 303)


@bp.get("/pay/<ref>")
@login_required
def short_link(ref: str):
    """The link in the payment SMS: the owner's dossier page, where the pay button is."""
    dossier = filing.by_ref(db.session(), ref)
    if dossier is None or not access.is_owner(current_user, dossier):
        abort(404)
    return redirect(url_for("filing.dossier", public_id=dossier.public_id) + "#pay", 303)


@bp.get("/payments/vnpay/return")
def vnpay_return():
    """What the resident sees on coming back: read from our own record, never from the URL
    (a forged "success" shows "waiting for confirmation" and changes nothing)."""
    state, payment = ipn.return_status(db.session(), request.args)
    dossier = payment.dossier if payment is not None else None
    mine = dossier is not None and access.is_owner(current_user, dossier)
    return render_template("payments/return.html", state=state, payment=payment if mine
                           else None, dossier=dossier if mine else None), \
        400 if state == "invalid" else 200


@bp.get("/payments/vnpay/ipn")
@csrf.exempt
@limiter.limit("300/minute")
@db.writes
def vnpay_ipn():
    """VNPay's notification: JSON {"RspCode", "Message"}, never an error page."""
    return jsonify(ipn.handle_vnpay_ipn(db.session(), request.args))


def _payment(dossier, payment_id: str) -> Payment:
    payment = next((p for p in attempts.payments_of(db.session(), dossier)
                    if p.public_id == payment_id and p.state == "paid"), None)
    if payment is None:
        abort(404)
    return payment


@bp.get("/my/dossiers/<public_id>/receipts/<payment_id>.pdf")
@login_required
def resident_receipt(public_id: str, payment_id: str):
    dossier = _own(public_id, access.can_download_fee_receipt)
    return _receipt_pdf(_payment(dossier, payment_id))


@bp.get("/staff/dossiers/<code>/receipts/<payment_id>.pdf")
@login_required
def staff_receipt(code: str, payment_id: str):
    dossier = filing.get_by_code(db.session(), code)
    if dossier is None or not access.can_open_staff_dossier(current_user, dossier) or \
            not access.can_download_fee_receipt(current_user, dossier):
        abort(404)
    return _receipt_pdf(_payment(dossier, payment_id))


def _receipt_pdf(payment: Payment):
    receipt = fee_receipts.fee_receipt(payment)
    data = fee_receipts.render_receipt(receipt, payment.receipt_office)
    return pdf_response(data, f"bien-lai-{payment.receipt_year}-{payment.receipt_number}.pdf")
