"""Blueprints. Views are thin: load → check access → validate → one service call → redirect."""

from __future__ import annotations

from flask import Response


def pdf_response(data: bytes, filename: str, inline: bool = False) -> Response:
    """A generated PDF, never cached by shared caches."""
    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
