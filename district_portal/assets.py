"""Static assets under content-hashed names with a one-year cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, abort, current_app, send_from_directory, url_for

ONE_YEAR = 365 * 24 * 3600  # seconds


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def init_app(app: Flask) -> None:
    static = Path(app.static_folder)
    hashes = {p.name: _digest(p) for p in static.iterdir() if p.is_file()}
    app.extensions["asset_hashes"] = hashes

    @app.get("/assets/<stem>.<digest>.<ext>")
    def asset(stem: str, digest: str, ext: str):
        name = f"{stem}.{ext}"
        if hashes.get(name) != digest:
            abort(404)
        response = send_from_directory(static, name, max_age=ONE_YEAR)
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response

    app.jinja_env.globals["asset_url"] = asset_url


def asset_url(name: str) -> str:
    """The URL of a file in static/, named by the hash of its content."""
    digest = current_app.extensions["asset_hashes"][name]
    stem, ext = name.rsplit(".", 1)
    return url_for("asset", stem=stem, digest=digest, ext=ext)
