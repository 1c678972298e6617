"""/healthz: JSON 200 when the database answers, JSON 503 with a message when it does not."""

from __future__ import annotations

from tests.conftest import PG_URL, build_app, make_config


def _unreachable_url(tmp_path) -> str:
    if PG_URL:
        # Nothing listens on port 1; the connection is refused at once.
        return PG_URL.rsplit("@", 1)[0] + "@127.0.0.1:1/portal"
    # A path under a regular file: no one, not even root, can open a database there.
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("")
    return f"sqlite:///{not_a_folder / 'portal.sqlite3'}"


def test_the_health_check_answers_503_json_when_the_database_is_unreachable(tmp_path):
    app = build_app(make_config(_unreachable_url(tmp_path), str(tmp_path / "uploads")))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "unreachable"
    assert body["message"] == ("Không kết nối được cơ sở dữ liệu. Cổng dịch vụ công tạm thời "
                               "không hoạt động.")
    assert body["message_en"] == ("The database cannot be reached. The portal is temporarily "
                                  "unavailable.")
    assert response.headers["Cache-Control"] == "no-store"


def test_the_health_check_answers_ok_on_a_working_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_the_serving_entry_point_freezes_what_start_up_made(tmp_path):
    """app.py (waitress and gunicorn load it) moves the start-up objects out of the garbage
    collector's reach, so a full collection does not walk them again on a request."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    probe = ("import gc, app; from district_portal import create_app; "
             "print(gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True,
                         text=True, timeout=120, check=True,
                         env={**os.environ, "PORTAL_ENV": "test"})
    assert int(out.stdout.split()[-1]) > 50_000
