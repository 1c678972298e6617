"""Configuration: production refuses weak secrets and the sandbox; development keeps its secret."""

from __future__ import annotations

import re
import secrets
import stat

import flask
import pytest

from district_portal import config as config_module
from district_portal import create_app
from district_portal.config import (
    ROOT,
    DevelopmentConfig,
    ProductionConfig,
    load_config,
    secret_entropy_bits,
)

GOOD_SECRET = "3f9c1e7a5b2d8064c1f7e9a3b5d20468ace13579bdf02468" + "9e8d7c6b5a4f3e2d"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No portal secret or sandbox flag from the outside, and instance/ in a temporary folder."""
    for name in ("PORTAL_SECRET_KEY", "PORTAL_PAYMENT_SANDBOX", "PORTAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setattr(config_module, "INSTANCE", instance)
    return instance


def test_production_refuses_to_start_without_a_secret(clean_env):
    with pytest.raises(RuntimeError, match="PORTAL_SECRET_KEY"):
        ProductionConfig()


@pytest.mark.parametrize("secret", ["short", "x" * 31, "change-me", "dev", "secret"])
def test_production_refuses_a_short_or_well_known_secret(clean_env, monkeypatch, secret):
    monkeypatch.setenv("PORTAL_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        ProductionConfig()


def _example_secret() -> str:
    lines = (ROOT / "deploy" / "portal.env.example").read_text("utf-8").splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith("PORTAL_SECRET_KEY="))


def test_production_refuses_the_secret_of_the_example_environment_file(clean_env, monkeypatch):
    example = _example_secret()
    assert len(example) >= 32  # long enough: only its content gives it away
    monkeypatch.setenv("PORTAL_SECRET_KEY", example)
    with pytest.raises(RuntimeError, match="placeholder"):
        ProductionConfig()


@pytest.mark.parametrize("secret", [
    "a" * 64,  # one symbol
    "abababababababababababababababababababab",  # two symbols
    "0123456789012345678901234567890123456789",  # ten digits, repeated
    "xa-hoa-binh-2026-xa-hoa-binh-2026-xa-hoa-binh-2026",  # a repeated phrase
])
def test_production_refuses_a_long_secret_with_little_entropy(clean_env, monkeypatch, secret):
    assert len(secret) >= 32
    monkeypatch.setenv("PORTAL_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="too predictable"):
        ProductionConfig()


@pytest.mark.parametrize("make", [lambda: secrets.token_hex(32), lambda: secrets.token_urlsafe(32),
                                  lambda: secrets.token_urlsafe(64)])
def test_production_accepts_the_usual_random_secrets(clean_env, monkeypatch, make):
    secret = make()
    assert secret_entropy_bits(secret) >= 128
    monkeypatch.setenv("PORTAL_SECRET_KEY", secret)
    assert ProductionConfig().SECRET_KEY == secret


def test_values_are_read_when_the_app_is_created_not_at_import(clean_env, monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "https://xa-mot.example.vn")
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_BYTES", "2048")
    app = create_app("development")
    assert app.config["BASE_URL"] == "https://xa-mot.example.vn"
    assert app.config["MAX_CONTENT_LENGTH"] == 2048 + 256 * 1024
    monkeypatch.setenv("PORTAL_BASE_URL", "https://xa-hai.example.vn")
    assert create_app("development").config["BASE_URL"] == "https://xa-hai.example.vn"


@pytest.mark.parametrize("flag", ["1", "true", "yes", "on"])
def test_production_refuses_the_payment_sandbox(clean_env, monkeypatch, flag):
    monkeypatch.setenv("PORTAL_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("PORTAL_PAYMENT_SANDBOX", flag)
    with pytest.raises(RuntimeError, match="PORTAL_PAYMENT_SANDBOX"):
        ProductionConfig()


def test_production_refuses_through_create_app_too(clean_env):
    with pytest.raises(RuntimeError):
        create_app("production")


def test_production_with_a_good_secret_starts_with_secure_cookies_and_no_sandbox(
        clean_env, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("PORTAL_PAYMENT_SANDBOX", "0")
    app = create_app("production")
    assert app.config["PORTAL_ENV"] == "production"
    assert app.config["SECRET_KEY"] == GOOD_SECRET
    assert app.config["TESTING"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    with app.test_request_context("/"):
        flask.session["probe"] = 1
        response = app.response_class()
        app.session_interface.save_session(app, flask.session, response)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert not clean_env.exists()  # production never writes a secret file


def test_development_generates_a_secret_file_once_and_reuses_it(clean_env):
    first = DevelopmentConfig()
    path = clean_env / "secret_key"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.SECRET_KEY) == 64
    assert path.read_text().strip() == first.SECRET_KEY
    written = path.stat().st_mtime_ns
    second = DevelopmentConfig()
    assert second.SECRET_KEY == first.SECRET_KEY
    assert path.stat().st_mtime_ns == written


def test_development_prefers_a_secret_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", GOOD_SECRET)
    assert DevelopmentConfig().SECRET_KEY == GOOD_SECRET
    assert not (clean_env / "secret_key").exists()


def test_load_config_follows_portal_env(clean_env, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "test")
    assert load_config().ENV_NAME == "test"
    monkeypatch.delenv("PORTAL_ENV")
    assert load_config().ENV_NAME == "development"


def test_an_unknown_environment_name_is_refused(clean_env):
    with pytest.raises(RuntimeError, match="Unknown PORTAL_ENV"):
        load_config("staging")


# Keys Flask and its extensions read themselves (not named in our code).
FRAMEWORK_KEYS = {
    "TESTING", "SECRET_KEY", "SERVER_NAME", "PREFERRED_URL_SCHEME", "MAX_CONTENT_LENGTH",
    "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_SECURE",
    "REMEMBER_COOKIE_HTTPONLY", "REMEMBER_COOKIE_SAMESITE", "REMEMBER_COOKIE_SECURE",
    "WTF_CSRF_TIME_LIMIT", "BABEL_DEFAULT_LOCALE", "BABEL_DEFAULT_TIMEZONE",
    "COMPRESS_MIMETYPES", "COMPRESS_ALGORITHM", "COMPRESS_BR_LEVEL", "COMPRESS_MIN_SIZE",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX", "RATELIMIT_SWALLOW_ERRORS", "RATELIMIT_STORAGE_OPTIONS",
}
PACKAGE = ROOT / "district_portal"


def _config_keys() -> set[str]:
    keys = set()
    for cls in (DevelopmentConfig, config_module.TestConfig):
        keys |= {k for k in dir(cls()) if k.isupper()}
    return keys


def test_every_config_key_is_used_by_the_portal_or_by_flask(clean_env):
    sources = "\n".join(p.read_text("utf-8") for p in PACKAGE.rglob("*.py")
                        if p.name != "config.py")
    sources += "\n".join(p.read_text("utf-8") for p in (ROOT / "templates").rglob("*.html"))
    unused = sorted(k for k in _config_keys() - FRAMEWORK_KEYS
                    if not re.search(rf"\b{k}\b", sources))
    assert unused == []


def test_every_variable_the_readme_names_is_read_by_config():
    readme = (ROOT / "README.md").read_text("utf-8")
    config_source = (PACKAGE / "config.py").read_text("utf-8")
    named = set(re.findall(r"PORTAL_[A-Z0-9_]+", readme))
    named.discard("PORTAL_TEST_DATABASE_URL")  # read by the test suite (tests/conftest.py)
    unknown = sorted(v for v in named if f'"{v}"' not in config_source
                     and not v.endswith("_"))
    assert unknown == []
    assert "PORTAL_TEST_DATABASE_URL" in (ROOT / "tests" / "conftest.py").read_text("utf-8")


def test_production_refuses_per_process_rate_limits_when_several_processes_serve(
        clean_env, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "9f3c1a7be24d5f60e81b4c2d7a3f9e05" * 2)
    monkeypatch.setenv("PORTAL_PROCESSES", "4")
    monkeypatch.delenv("PORTAL_RATELIMIT_STORAGE", raising=False)
    with pytest.raises(RuntimeError, match="PORTAL_RATELIMIT_STORAGE"):
        load_config("production")
    monkeypatch.setenv("PORTAL_RATELIMIT_STORAGE", "redis://127.0.0.1:6379/0")
    config = load_config("production")
    assert (config.PROCESSES, config.RATELIMIT_STORAGE_URI) == (4, "redis://127.0.0.1:6379/0")
