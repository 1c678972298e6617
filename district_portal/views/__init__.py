"""Blueprints. Views are thin: load → check access → validate → one service call → redirect."""

from __future__ import annotations

from flask import Response, abort, current_app, send_file


def pdf_response(data: bytes, filename: str, inline: bool = False) -> Response:
    """A generated PDF, never cached by shared caches."""
    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def attachment_response(attachment, download_name: str | None = None) -> Response:
    """A stored upload or result, always as a download with nosniff, never cached."""
    from district_portal.services import storage

    path = storage.path_of(current_app.config["UPLOAD_DIR"], attachment.stored_name)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=download_name or attachment.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
