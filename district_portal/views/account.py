"""Accounts: register, verify phone, log in and out, reset password."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")
