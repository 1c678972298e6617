"""Browser fixtures: the portal served by waitress on a free loopback port, on a database of
its own, driven by Playwright in Debian's headless Chromium."""

from __future__ import annotations

import os
import threading

import pytest

from tests.helpers import free_port, pass_two_factor_in_browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


DEMO_PASSWORD = "demo-portal-2026"  # the demo accounts' password (portal demo)


@pytest.fixture
def live_server(fresh_app):
    from waitress.server import create_server

    port = free_port()
    app = fresh_app(BASE_URL=f"http://127.0.0.1:{port}")
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    stopping = threading.Event()

    def serve():
        try:
            server.run()
        except OSError:  # the loop's select() on the sockets closed below
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{port}"
    yield app
    stopping.set()
    server.close()
    server.task_dispatcher.shutdown()
    thread.join(5)


def _cannot_run(reason: str) -> None:
    """Under CI a browser test that cannot run fails; elsewhere it is skipped, loudly."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run under CI: {reason}")
    pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")


def require_chromium() -> str:
    path = "/usr/bin/chromium"
    if not os.path.exists(path):
        _cannot_run("/usr/bin/chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _cannot_run("Playwright is not installed (pip install -e '.[browser]', or make install)")
    return path


@pytest.fixture(scope="session")
def chromium():
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=[False, True], ids=["no-javascript", "javascript"])
def page(request, chromium, tmp_path):
    context = chromium.new_context(java_script_enabled=request.param, accept_downloads=True,
                                   locale="vi-VN")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.js_enabled = request.param
    yield pg
    context.close()


@pytest.fixture
def browser_as(chromium, live_server):
    """A logged-in page for a demo account, each in its own browser context (no JavaScript,
    downloads accepted)."""
    contexts = []

    def login(email: str):
        context = chromium.new_context(java_script_enabled=False, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto(live_server.config["LIVE_URL"] + "/account/login")
        page.fill("#login", email)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button.primary")
        pass_two_factor_in_browser(page)  # staff: the demo staff's known secret
        page.wait_for_url("**/account/")
        return page

    yield login
    for context in contexts:
        context.close()
