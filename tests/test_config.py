"""Configuration: production refuses weak secrets and the sandbox; development keeps its secret."""

from __future__ import annotations

import stat

import flask
import pytest

from district_portal import config as config_module
from district_portal import create_app
from district_portal.config import DevelopmentConfig, ProductionConfig, load_config

GOOD_SECRET = "k" * 16 + "0123456789abcdef0123456789abcdef"


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
    assert app.config["PAYMENT_SANDBOX"] is False
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


def test_development_enables_the_payment_sandbox_by_default(clean_env):
    assert DevelopmentConfig().PAYMENT_SANDBOX is True


def test_load_config_follows_portal_env(clean_env, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "test")
    assert load_config().ENV_NAME == "test"
    monkeypatch.delenv("PORTAL_ENV")
    assert load_config().ENV_NAME == "development"


def test_an_unknown_environment_name_is_refused(clean_env):
    with pytest.raises(RuntimeError, match="Unknown PORTAL_ENV"):
        load_config("staging")
