"""Start the portal (or a bare Flask baseline) under waitress on a free loopback port."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, path: str = "/", timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


@contextmanager
def serve(app_spec: str, env: dict, threads: int = 8, check_path: str = "/"):
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "waitress", "--host=127.0.0.1", f"--port={port}", f"--threads={threads}",
         app_spec], cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_up(port, check_path)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def prepared_database(url: str | None = None, seed: bool = True) -> tuple[str, dict]:
    """A migrated (and seeded) database and the environment to serve the portal on it."""
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    url = url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": secrets.token_hex(32),
           "PORTAL_DATABASE_URL": url, "PORTAL_UPLOAD_DIR": str(tmp / "uploads"),
           "PORTAL_BASE_URL": "http://127.0.0.1"}
    run_env = {**os.environ, **env}
    subprocess.run([PYTHON, "-m", "flask", "--app", "app", "portal", "db-upgrade"], cwd=ROOT,
                   env=run_env, check=True, capture_output=True)
    if seed:
        subprocess.run([PYTHON, "-m", "flask", "--app", "app", "portal", "demo"], cwd=ROOT,
                       env=run_env, check=True, capture_output=True)
    return url, env


def baseline_env() -> dict:
    return {}


def dump(results: list, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
