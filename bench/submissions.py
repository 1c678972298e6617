"""Concurrent online submissions against a running portal: zero errors, zero duplicate codes.

    .venv/bin/python -m bench.submissions [--clients 20] [--per-client 5] [--database-url URL]

Each client is a resident with a session cookie signed with the server's secret (the login
page is not what is measured), who then goes through the real pages: apply → answers →
upload → check → submit.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from bench.servers import ROOT, prepared_database, serve

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWERS = {
    "applicant_type": "person", "applicant_name": "Nguyễn Thị Hằng",
    "applicant_id_number": "012345678901", "applicant_phone": "0912345678",
    "applicant_commune.province": "25", "applicant_commune": "4795",
    "applicant_office": "000.00.04.T25", "child_name": "Nguyễn Văn An",
    "child_birth_date": "2026-11-01", "child_sex": "nam", "child_birth_place": "Phú Thọ",
    "child_ethnicity": "Kinh", "mother_name": "Nguyễn Thị Hằng",
    "mother_id_number": "012345678901", "residence_commune.province": "25",
    "residence_commune": "4795", "_action": "next",
}
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def make_users(env: dict, count: int) -> list[str]:
    """Create residents directly in the database; return their login tokens."""
    os.environ.update(env)
    from district_portal import create_app
    from district_portal.db import get_db
    from district_portal.services.accounts.users import create_user

    app = create_app("production")
    tokens = []
    with app.app_context(), get_db(app).transaction() as session:
        for i in range(count):
            user = create_user(session, email=f"bench{i}-{uuid.uuid4().hex[:6]}@bench.test",
                               password="bench-password-1", roles=["citizen"],
                               full_name=f"Cư dân {i}", consent=True)
            tokens.append(user.get_id())
    cookie_for = {}
    with app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)
        for token in tokens:
            cookie_for[token] = serializer.dumps({"_user_id": token, "_fresh": True})
    get_db(app).engine.dispose()
    return [cookie_for[t] for t in tokens]


class _KeepCookie(urllib.request.BaseHandler):
    """Send the client's session cookie on every request (redirects too); keep updates."""

    def __init__(self, client):
        self.client = client

    def http_request(self, req):
        req.add_unredirected_header("Cookie", f"session={self.client.session_cookie}")
        return req

    def http_response(self, req, resp):
        for header in resp.headers.get_all("Set-Cookie") or []:
            if header.startswith("session="):
                self.client.session_cookie = header.split(";", 1)[0].removeprefix("session=")
        return resp


class Client:
    def __init__(self, base: str, session_cookie: str):
        self.base = base
        self.opener = urllib.request.build_opener(_KeepCookie(self))
        self.session_cookie = session_cookie

    def _open(self, path, data=None, headers=None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.geturl(), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, path, exc.read().decode(errors="replace")


    def get(self, path):
        return self._open(path)

    def post(self, path, fields: dict):
        return self._open(path, urllib.parse.urlencode(fields).encode())

    def upload(self, path, fields: dict, name: str, filename: str, content: bytes):
        boundary = uuid.uuid4().hex
        parts = []
        for k, v in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                         f"{v}\r\n".encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                     + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self._open(path, b"".join(parts),
                          {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def file_one(self) -> tuple[float, str]:
        """Returns (seconds spent on the final submit POST, the dossier code)."""
        _, _, html = self.get("/procedures/1.001193")
        token = CSRF.search(html).group(1)
        status, url, html = self.post("/procedures/1.001193/apply", {"csrf_token": token})
        edit = urllib.parse.urlparse(url).path
        status, url, html = self.post(edit, {"csrf_token": token, **ANSWERS})
        if status != 200 or not url.endswith("/documents"):
            raise RuntimeError(f"answers refused: {status} {url}")
        docs = urllib.parse.urlparse(url).path
        status, url, html = self.upload(f"{docs}/giay_chung_sinh", {"csrf_token": token},
                                        "giay_chung_sinh", "giay.pdf", PDF)
        if status != 200:
            raise RuntimeError(f"upload refused: {status}")
        status, _, html = self.get(docs.replace("/documents", "/review"))
        nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', html).group(1)
        submit = docs.replace("/documents", "/submit")
        began = time.perf_counter()
        status, url, html = self.post(submit, {"csrf_token": token, "nonce": nonce})
        spent = time.perf_counter() - began
        codes = re.findall(r'class="big">([^<]+)<', html)
        if status != 200 or not codes:
            raise RuntimeError(f"submit failed: {status} {url}")
        return spent, codes[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    url, env = prepared_database(args.database_url)
    cookies = make_users(env, args.clients)
    timings: list[float] = []
    codes: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    with serve("app:app", env, threads=16, check_path="/healthz") as port:
        base = f"http://127.0.0.1:{port}"
        barrier = threading.Barrier(args.clients)

        def work(cookie):
            client = Client(base, cookie)
            barrier.wait()
            for _ in range(args.per_client):
                try:
                    spent, code = client.file_one()
                    with lock:
                        timings.append(spent * 1000)
                        codes.append(code)
                except Exception as exc:  # counted and printed, never hidden
                    with lock:
                        errors.append(repr(exc))

        began = time.perf_counter()
        threads = [threading.Thread(target=work, args=(c,)) for c in cookies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    print(f"engine={engine} clients={args.clients} submissions={len(codes)} "
          f"errors={len(errors)} duplicate_codes={len(codes) - len(set(codes))} "
          f"gap_free={numbers == list(range(1, len(numbers) + 1))}")
    if timings:
        timings.sort()
        print(f"submit POST: p50={statistics.median(timings):.1f} ms "
              f"p95={timings[int(0.95 * (len(timings) - 1))]:.1f} ms; whole run {wall:.1f} s "
              f"({len(codes) / wall:.1f} filings/s incl. answers and upload)")
    for e in errors[:5]:
        print("error:", e)
    _ = ROOT


if __name__ == "__main__":
    main()
