"""Largest contentful paint on a 2G link, against a bare 1 KB page in the same run.

    .venv/bin/python -m bench.twog [--runs 3]

WebPageTest's 2G profile (35 kbps down, 32 kbps up, 1,300 ms round trip) is applied with
Chromium's network emulation (DevTools protocol) in Debian's headless Chromium. Each page is
loaded with an empty cache, as a first visit; the budget (DESIGN.md §8) is 1.2× the bare page.
"""

from __future__ import annotations

import argparse
import statistics
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import sync_playwright

from bench.servers import free_port, prepared_database, serve

PROFILE = {"offline": False, "latency": 1300,
           "downloadThroughput": 35_000 / 8, "uploadThroughput": 32_000 / 8}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
# One response, like the portal's first visit: an inline icon, so that the browser's own
# /favicon.ico request (counted by Lighthouse when it lands before the paint) is not made.
BARE = ("<!doctype html><html lang=vi><meta charset=utf-8><title>Trang trống</title>"
        '<link rel=icon href="data:,">'
        "<h1>Cổng dịch vụ công</h1><p>" + "Trang thử một kilobyte. " * 38 + "</p></html>")
PAGES = [("home /", "/"), ("catalogue /procedures", "/procedures"),
         ("procedure page", "/procedures/1.001193"), ("track /track", "/track"),
         ("login /account/login", "/account/login")]
LCP = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: 'largest-contentful-paint', buffered: true});
})"""


class Bare(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = BARE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def lcp_ms(browser, url: str, warm_from: str | None = None) -> float:
    """LCP of `url` on an empty cache, or after visiting `warm_from` first (a resident's
    second page: the stylesheet is cached by then)."""
    context = browser.new_context(bypass_csp=True)  # only so the measuring script may run
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", PROFILE)
    if warm_from:
        page.goto(warm_from, wait_until="load", timeout=120_000)
        page.wait_for_timeout(3000)  # let the preloaded stylesheet land in the cache
    else:
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.goto(url, wait_until="load", timeout=120_000)
    value = page.evaluate(LCP)
    context.close()
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bare_port = free_port()
    bare = ThreadingHTTPServer(("127.0.0.1", bare_port), Bare)
    threading.Thread(target=bare.serve_forever, daemon=True).start()
    _, env = prepared_database()
    results = {}
    with serve("app:app", env, check_path="/healthz") as port, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        base = statistics.median(lcp_ms(browser, f"http://127.0.0.1:{bare_port}/")
                                 for _ in range(args.runs))
        site = f"http://127.0.0.1:{port}"
        for name, path in PAGES:
            results[f"{name}, first visit"] = statistics.median(
                lcp_ms(browser, site + path) for _ in range(args.runs))
            results[f"{name}, next page"] = statistics.median(
                lcp_ms(browser, site + path, warm_from=site + "/track")
                for _ in range(args.runs))
        browser.close()
    bare.shutdown()
    print(f"{'bare 1 KB page':<40} LCP {base:7.0f} ms")
    for name, value in results.items():
        ratio = value / base
        print(f"{name:<40} LCP {value:7.0f} ms  ×{ratio:.2f}  "
              f"{'within 1.2×' if ratio <= 1.2 else 'OVER 1.2×'}")


if __name__ == "__main__":
    main()
