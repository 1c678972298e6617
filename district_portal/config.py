"""Configuration classes. This is the only module that reads os.environ (PORTAL_* variables)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _flag(name: str, default: bool = False) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret() -> str:
    """Read the development secret from instance/, generating it on first run."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    ENV_NAME = "base"
    TESTING = False
    SECRET_KEY: str | None = None
    DATABASE_URL = _env("PORTAL_DATABASE_URL", f"sqlite:///{INSTANCE / 'portal.sqlite3'}")
    UPLOAD_DIR = _env("PORTAL_UPLOAD_DIR", str(INSTANCE / "uploads"))
    BASE_URL = _env("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    PAYMENT_SANDBOX = _flag("PORTAL_PAYMENT_SANDBOX")
    VNPAY_TMN_CODE = _env("PORTAL_VNPAY_TMN_CODE")
    VNPAY_HASH_SECRET = _env("PORTAL_VNPAY_HASH_SECRET")
    VNPAY_PAY_URL = _env("PORTAL_VNPAY_PAY_URL")
    VNPAY_API_URL = _env("PORTAL_VNPAY_API_URL")
    # An online payment attempt may be paid for this long (vnp_ExpireDate), in minutes.
    PAYMENT_EXPIRY_MINUTES = int(_env("PORTAL_PAYMENT_EXPIRY_MINUTES", "15"))
    FULL_ONLINE_TARGET = float(_env("PORTAL_FULL_ONLINE_TARGET", "0.30"))
    INTAKE_WORKING_DAYS = int(_env("PORTAL_INTAKE_WORKING_DAYS", "1"))
    RATELIMIT_STORAGE_URI = _env("PORTAL_RATELIMIT_STORAGE", "memory://")
    # Our switch, read per request: Flask-Limiter's own RATELIMIT_ENABLED is one global flag
    # on the shared Limiter, so it stays on and a request filter consults this instead.
    RATE_LIMITS_ON = True
    SMS_BACKEND = _env("PORTAL_SMS_BACKEND", "log")  # "log" or "http"
    SMS_LOG_FILE = _env("PORTAL_SMS_LOG_FILE", str(INSTANCE / "sms.log"))
    SMS_HTTP_URL = _env("PORTAL_SMS_HTTP_URL")  # template with {phone} and {text}
    SMS_HTTP_KEY = _env("PORTAL_SMS_HTTP_KEY")
    MAIL_BACKEND = _env("PORTAL_MAIL_BACKEND", "log")  # "log" or "smtp"
    MAIL_LOG_FILE = _env("PORTAL_MAIL_LOG_FILE", str(INSTANCE / "mail.log"))
    SMTP_HOST = _env("PORTAL_SMTP_HOST", "localhost")
    SMTP_PORT = int(_env("PORTAL_SMTP_PORT", "25"))
    SMTP_USER = _env("PORTAL_SMTP_USER")
    SMTP_PASSWORD = _env("PORTAL_SMTP_PASSWORD")
    MAIL_FROM = _env("PORTAL_MAIL_FROM", "no-reply@localhost")
    MAX_UPLOAD_BYTES = int(_env("PORTAL_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))  # per file
    MAX_DOSSIER_BYTES = int(_env("PORTAL_MAX_DOSSIER_BYTES", str(30 * 1024 * 1024)))
    # A request may carry one file plus the form: leave a little room above one file.
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 256 * 1024
    STAFF_IDLE_SECONDS = 30 * 60  # 30 minutes, in seconds
    PREFERRED_URL_SCHEME = "http"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # 8 hours, in seconds: slow links and long forms
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/json", "image/svg+xml"]
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_MIN_SIZE = 500
    SQL_ECHO = False
    # Number of reverse proxies (nginx) in front whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = int(_env("PORTAL_PROXY_COUNT", "0"))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    EMAIL_ALLOW_TEST_DOMAINS = True  # demo accounts are @demo.test
    PAYMENT_SANDBOX = _flag("PORTAL_PAYMENT_SANDBOX", True)

    def __init__(self) -> None:
        self.SECRET_KEY = _env("PORTAL_SECRET_KEY") or _instance_secret()


class TestConfig(Config):
    ENV_NAME = "test"
    EMAIL_ALLOW_TEST_DOMAINS = True
    TESTING = True
    SECRET_KEY = "test-secret-not-for-production"
    DATABASE_URL = _env("PORTAL_TEST_DATABASE_URL", "sqlite://")
    PAYMENT_SANDBOX = True
    RATE_LIMITS_ON = False
    SERVER_NAME = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    def __init__(self) -> None:
        secret = _env("PORTAL_SECRET_KEY")
        if not secret or len(secret) < 32 or secret in {"change-me", "dev", "secret"}:
            raise RuntimeError(
                "PORTAL_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production."
            )
        if _flag("PORTAL_PAYMENT_SANDBOX"):
            raise RuntimeError("PORTAL_PAYMENT_SANDBOX is refused in production.")
        self.SECRET_KEY = secret
        self.PAYMENT_SANDBOX = False


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """Instantiate the config named by `name` or PORTAL_ENV (default: development)."""
    name = name or _env("PORTAL_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"Unknown PORTAL_ENV {name!r}; use one of {sorted(CONFIGS)}") from None
