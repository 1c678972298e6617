"""Largest contentful paint on 2G, measured by Lighthouse, as a ratio to a bare 1 KB page.

    .venv/bin/python -m bench.lighthouse [--runs 3] [--pages home,catalogue,...]

Lighthouse 12 (pinned in bench/npm/package.json; installed there with `npm ci` on first use)
drives Debian's headless Chromium with its `simulate` throttling and the profile of the
issue: 35 kbps, 1,300 ms round trip, CPU ×4, mobile screen, each page a first visit (empty
cache). The bare page is served by a plain http.server and measured in the same run, so the
ratio is the figure that counts (budget DESIGN.md §8: ≤ 1.2×). Resident pages are measured
with the demo resident's session cookie (sent as an extra header).
"""

from __future__ import annotations

import argparse
import html.parser
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

from bench.servers import prepared_database, serve
from bench.twog import Bare, free_port

NPM_DIR = Path(__file__).resolve().parent / "npm"
LIGHTHOUSE = NPM_DIR / "node_modules/.bin/lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --no-first-run --disable-sync")
THROTTLING = ["--throttling-method=simulate", "--throttling.rttMs=1300",
              "--throttling.throughputKbps=35", "--throttling.cpuSlowdownMultiplier=4",
              "--form-factor=mobile", "--screenEmulation.mobile=true",
              "--screenEmulation.width=360", "--screenEmulation.height=640",
              "--screenEmulation.deviceScaleFactor=2"]
DEMO_PASSWORD = "demo-portal-2026"
PUBLIC = [("home", "/"), ("catalogue", "/procedures"),
          ("search", "/procedures?q=khai+sinh"), ("procedure page", "/procedures/1.001193"),
          ("track", "/track"), ("login", "/account/login"), ("register", "/account/register"),
          ("statistics", "/stats"), ("verify", "/verify")]
RESIDENT = [("my dossiers", "/my/dossiers"), ("account", "/account/")]


class _Inputs(html.parser.HTMLParser):
    """The value of every named <input> of a page (the CSRF token among them)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")


class _KeepRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the login's redirect answer carries the session cookie: read it


def _cookies(response, cookies: dict[str, str]) -> None:
    """Keep every cookie a response sets (production cookies are Secure: a cookie jar would
    not send them back over this loopback http, a browser behind TLS would)."""
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        cookies[name.strip()] = value.strip()


def resident_cookie(site: str) -> str:
    """Log the demo resident in as a browser would; the Cookie header of that session."""
    opener = urllib.request.build_opener(_KeepRedirect)
    cookies: dict[str, str] = {}
    with opener.open(site + "/account/login", timeout=30) as response:
        _cookies(response, cookies)
        parser = _Inputs()
        parser.feed(response.read().decode())
    form = {**parser.values, "login": "resident@demo.test", "password": DEMO_PASSWORD}
    request = urllib.request.Request(
        site + "/account/login", urllib.parse.urlencode(form).encode(),
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as redirect:  # 302 to the account: logged in
        if redirect.code != 302:
            raise
        _cookies(redirect, cookies)
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    check = urllib.request.Request(site + "/my/dossiers", headers={"Cookie": header})
    try:
        opener.open(check, timeout=30).read()
    except urllib.error.HTTPError as refused:
        raise SystemExit(f"the demo resident's login did not hold ({refused.code})") from None
    return header


def ensure_lighthouse() -> None:
    if not LIGHTHOUSE.exists():
        if shutil.which("npm") is None:
            raise SystemExit("bench.lighthouse needs Node.js and npm (apt-get install nodejs npm)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NPM_DIR, check=True)


def lcp_ms(url: str, cookie: str | None = None) -> float:
    """Lighthouse's simulated LCP of `url`, in milliseconds."""
    with tempfile.TemporaryDirectory(prefix="portal-lh-") as tmp:
        out = Path(tmp) / "report.json"
        command = [str(LIGHTHOUSE), url, "--only-audits=largest-contentful-paint",
                   "--output=json", f"--output-path={out}", "--quiet",
                   f"--chrome-flags={CHROME_FLAGS} --user-data-dir={tmp}/profile",
                   *THROTTLING]
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        subprocess.run(command, check=True, timeout=300, capture_output=True,
                       env={**os.environ, "CHROME_PATH": CHROMIUM})
        report = json.loads(out.read_text())
    return report["audits"]["largest-contentful-paint"]["numericValue"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", default="", help="comma-separated page names (default all)")
    args = parser.parse_args()
    ensure_lighthouse()
    chosen = {name.strip() for name in args.pages.split(",") if name.strip()}
    pages = [(name, path, kind) for kind, group in (("public", PUBLIC), ("resident", RESIDENT))
             for name, path in group if not chosen or name in chosen]
    bare_port = free_port()
    bare = ThreadingHTTPServer(("127.0.0.1", bare_port), Bare)
    threading.Thread(target=bare.serve_forever, daemon=True).start()
    _, env = prepared_database()
    rows = []
    with serve("app:app", env, check_path="/healthz") as port:
        site = f"http://127.0.0.1:{port}"
        cookie = resident_cookie(site) if any(kind == "resident" for *_, kind in pages) else None
        base = statistics.median(lcp_ms(f"http://127.0.0.1:{bare_port}/")
                                 for _ in range(args.runs))
        for name, path, kind in pages:
            value = statistics.median(
                lcp_ms(site + path, cookie if kind == "resident" else None)
                for _ in range(args.runs))
            rows.append((f"{name} {path}", value))
    bare.shutdown()
    print(f"Lighthouse simulate, 35 kbps, 1,300 ms RTT, CPU ×4, median of {args.runs}")
    print(f"{'bare 1 KB page':<44} LCP {base:7.0f} ms")
    for name, value in rows:
        ratio = value / base
        print(f"{name:<44} LCP {value:7.0f} ms  ×{ratio:.2f}  "
              f"{'within 1.2×' if ratio <= 1.2 else 'OVER 1.2×'}")


if __name__ == "__main__":
    main()
