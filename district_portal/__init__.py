"""District Portal (Cổng dịch vụ công): the application factory."""

from __future__ import annotations

import gc

from flask import Flask, current_app, has_request_context, request

from district_portal import db
from district_portal.config import ROOT, Config, load_config, require_hardening
from district_portal.extensions import babel, compress, csrf, limiter, login_manager


def create_app(config: Config | str | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error pages, CLI and security headers."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    if config is None or isinstance(config, str):
        config = load_config(config)
    if config.ENV_NAME == "production":
        require_hardening(config)  # also when a config object was changed after it was made
    app.config.from_object(config)
    app.config["PORTAL_ENV"] = config.ENV_NAME

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        # The host is not taken from X-Forwarded-Host: nginx passes the real Host header, and
        # a forwarded one would let a client choose the host the portal believes it has.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    db.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    if app.config["PROCESSES"] > 1 and app.config["RATELIMIT_STORAGE_URI"].startswith("memory:"):
        # Production refuses this (config.py); elsewhere it is allowed, and said.
        app.logger.warning("PORTAL_PROCESSES is %s but rate limits are counted per process "
                           "(memory://): set PORTAL_RATELIMIT_STORAGE", app.config["PROCESSES"])
    babel.init_app(app, locale_selector=_select_locale)  # zone: BABEL_DEFAULT_TIMEZONE
    login_manager.init_app(app)

    from district_portal import assets, auth, errors, page_cache, templating
    from district_portal.cli import portal_cli

    assets.init_app(app)
    auth.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    app.cli.add_command(portal_cli)
    page_cache.init_app(app, _select_locale)  # after Flask-Compress: stores uncompressed pages
    app.after_request(_security_headers)
    app.after_request(assets.cut_inline_stylesheet)  # runs before the headers and the cache
    # Last registered, so it runs first: a 409 page that replaces a commit lost to a
    # parallel request still gets the headers and compression above.
    db.commit_after_request(app, on_conflict=errors.conflict_page,
                            on_failure=errors.failure_page)
    return app


def settle_heap() -> None:
    """Move everything made at start-up (models, templates, catalogues, the holiday and unit
    lists: about 250,000 objects) out of the garbage collector's reach, as a serving process
    does once before its first request. Without it, every full collection walks them all
    again: about 120 ms, once every few dozen inbox pages. Nothing made later is affected."""
    gc.collect()
    gc.freeze()


def _register_blueprints(app: Flask) -> None:
    from district_portal.views import (
        account,
        admin,
        api,
        api_keys,
        contacts,
        documents,
        filing,
        payments,
        payments_sandbox,
        public,
        staff,
        stats,
        system,
        two_factor,
    )

    for blueprint in (system.bp, public.bp, account.bp, two_factor.bp, filing.bp, documents.bp,
                      staff.bp, stats.bp, api_keys.bp, payments.bp, contacts.bp, admin.bp):
        app.register_blueprint(blueprint)
    api.init_app(app)
    if app.config.get("PAYMENT_SANDBOX"):  # never in production (config.py refuses it)
        app.register_blueprint(payments_sandbox.bp)
    if app.config["PORTAL_ENV"] == "development":  # /dev/outbox and delivery without a cron
        from district_portal.views import dev

        dev.init_app(app)


LANGUAGES = ("vi", "en")  # the first is the default


def _select_locale() -> str:
    if not has_request_context():  # CLI commands, the notification sender: Vietnamese
        return LANGUAGES[0]
    return locale_of(request.cookies.get("lang"))


def locale_of(value: str | None) -> str:
    """The language for a `lang` cookie value: one of LANGUAGES, else the default."""
    return value if value in LANGUAGES else LANGUAGES[0]


def _security_headers(response):
    headers = response.headers
    # Scripts fall back to default-src 'self' (a second page adds its one inline script by
    # its hash); styles are 'self' plus the page's inline stylesheet by its hash (assets.py).
    from district_portal import assets

    inline_css, inline_js = assets.inline_style_source(), assets.inline_script_source()
    script = f"script-src 'self' {inline_js}; " if inline_js else ""
    headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; {script}img-src 'self' data:; style-src 'self'"
        f"{' ' if inline_css else ''}{inline_css}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-cache")
    if request.is_secure or current_app.config["HTTPS_ONLY"]:
        headers.setdefault("Strict-Transport-Security",
                           f"max-age={current_app.config['HSTS_SECONDS']}; includeSubDomains")
    return response
