"""Configuration classes. This is the only module that reads os.environ (PORTAL_* variables),
and it reads them when a config is instantiated (load_config, create_app), never at import: an
app built after the environment changed sees the new values."""

from __future__ import annotations

import math
import os
import secrets
import zlib
from collections import Counter
from pathlib import Path

from district_portal.text import LOCAL_TZ_NAME

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

MIN_SECRET_LENGTH = 32  # characters
MIN_SECRET_BITS = 128  # estimated entropy
ZLIB_OVERHEAD = len(zlib.compress(b"", 9))  # header and checksum, in bytes
# Words that only a placeholder or a hand-made secret contains (deploy/portal.env.example's
# value is "replace-with-output-of-python3 -c ...").
PLACEHOLDER_MARKERS = ("replace", "change", "example", "secret", "password", "placeholder",
                       "your-", "todo", "xxxx", "token_hex", "import ", "python")


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


def secret_entropy_bits(secret: str) -> float:
    """A cautious estimate of a secret's entropy, the smallest of three: the character-class
    estimate (length × log2 of the alphabet its classes span), the distinct-symbol estimate
    (length × the Shannon entropy of its own symbol frequencies) and the pattern estimate
    (the bytes zlib needs beyond its fixed overhead × that Shannon entropy: a repeated
    pattern compresses to a few new symbols)."""
    if not secret:
        return 0.0
    classes = ((str.islower, 26), (str.isupper, 26), (str.isdigit, 10))
    alphabet = sum(size for test, size in classes if any(test(c) for c in secret))
    if any(not (c.isascii() and c.isalnum()) for c in secret):
        alphabet += 33  # printable ASCII punctuation and space
    counts = Counter(secret)
    shannon = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    patterned = (len(zlib.compress(secret.encode("utf-8"), 9)) - ZLIB_OVERHEAD) * shannon
    return min(len(secret) * math.log2(alphabet), len(secret) * shannon, patterned)


def secret_problem(secret: str | None) -> str | None:
    """Why `secret` cannot sign production sessions, or None if it can."""
    if not secret:
        return "is not set"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"has fewer than {MIN_SECRET_LENGTH} characters"
    lowered = secret.lower()
    if any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        return "is a placeholder (from an example file or typed by hand)"
    if secret_entropy_bits(secret) < MIN_SECRET_BITS:
        return f"is too predictable (less than {MIN_SECRET_BITS} bits of entropy)"
    return None


class Config:
    """Settings shared by every environment. Constants are class attributes; everything that
    comes from the environment is read in __init__."""

    ENV_NAME = "base"
    TESTING = False
    # Our switch, read per request: Flask-Limiter's own RATELIMIT_ENABLED is one global flag
    # on the shared Limiter, so it stays on and a request filter consults this instead.
    RATE_LIMITS_ON = True
    STAFF_IDLE_SECONDS = 30 * 60  # 30 minutes, in seconds
    PREFERRED_URL_SCHEME = "http"
    # Strict-Transport-Security on HTTPS answers (and on every answer when HTTPS_ONLY).
    HSTS_SECONDS = 365 * 24 * 3600  # one year, in seconds
    HTTPS_ONLY = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # 8 hours, in seconds: slow links and long forms
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = LOCAL_TZ_NAME
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/json", "image/svg+xml"]
    # Brotli first (headless Chromium asks for it even over plain http): ~10 % fewer bytes
    # than gzip on 2G. Level 6 costs ~0.2 ms a page here and saves ~8 % over the default 4.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 6
    COMPRESS_MIN_SIZE = 500
    SQL_ECHO = False
    # A rate-limit store that is down must not take the portal down: requests go on unlimited
    # (and the error is logged) until it is back.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}

    def __init__(self) -> None:
        self.SECRET_KEY: str | None = None
        self.DATABASE_URL = _env("PORTAL_DATABASE_URL", f"sqlite:///{INSTANCE / 'portal.sqlite3'}")
        self.UPLOAD_DIR = _env("PORTAL_UPLOAD_DIR", str(INSTANCE / "uploads"))
        # A request fails with the "temporarily unavailable" page rather than hang: seconds to
        # open a database connection (or wait for a pooled one), and seconds one statement may
        # run or wait for a lock (PostgreSQL statement_timeout, SQLite busy timeout).
        self.DB_CONNECT_TIMEOUT = float(_env("PORTAL_DB_CONNECT_TIMEOUT", "5"))
        self.DB_STATEMENT_TIMEOUT = float(_env("PORTAL_DB_STATEMENT_TIMEOUT", "30"))
        self.BASE_URL = _env("PORTAL_BASE_URL", "http://127.0.0.1:5000")
        self.INTAKE_WORKING_DAYS = int(_env("PORTAL_INTAKE_WORKING_DAYS", "1"))
        # Where rate-limit counters live. memory:// is per process: with several processes
        # (gunicorn workers, several servers) they must share one store, e.g. redis://host:6379/0.
        self.RATELIMIT_STORAGE_URI = _env("PORTAL_RATELIMIT_STORAGE", "memory://")
        self.RATELIMIT_KEY_PREFIX = _env("PORTAL_RATELIMIT_PREFIX", "portal")
        # How many app processes serve this database in all (every server's workers added up).
        self.PROCESSES = int(_env("PORTAL_PROCESSES", "1"))
        self._read_messages()
        self.WEBHOOK_TIMEOUT = float(_env("PORTAL_WEBHOOK_TIMEOUT", "10"))  # seconds a delivery
        self.API_RATE_LIMIT = _env("PORTAL_API_RATE_LIMIT", "600/minute")  # per client, /api/v1
        self.MAX_UPLOAD_BYTES = int(_env("PORTAL_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
        self.MAX_DOSSIER_BYTES = int(_env("PORTAL_MAX_DOSSIER_BYTES", str(30 * 1024 * 1024)))
        # Abuse limits: unfinished drafts per resident, files per dossier; `portal purge`
        # removes drafts untouched for this many days (never a submitted dossier).
        self.MAX_DRAFTS_PER_USER = int(_env("PORTAL_MAX_DRAFTS_PER_USER", "20"))
        self.MAX_FILES_PER_DOSSIER = int(_env("PORTAL_MAX_FILES_PER_DOSSIER", "30"))
        self.PURGE_DRAFT_DAYS = int(_env("PORTAL_PURGE_DRAFT_DAYS", "90"))
        # A request may carry one file plus the form: leave a little room above one file.
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_BYTES + 256 * 1024
        # Number of reverse proxies (nginx) in front whose X-Forwarded-* headers are trusted.
        self.PROXY_COUNT = int(_env("PORTAL_PROXY_COUNT", "0"))
        self._read_documents_and_caches()
        self._read_payments()

    def _read_messages(self) -> None:
        """SMS and email: backends, their settings and the sender's time limits."""
        self.SMS_BACKEND = _env("PORTAL_SMS_BACKEND", "log")  # "log" or "http"
        self.SMS_LOG_FILE = _env("PORTAL_SMS_LOG_FILE", str(INSTANCE / "sms.log"))
        self.SMS_HTTP_URL = _env("PORTAL_SMS_HTTP_URL")  # template with {phone} and {text}
        self.SMS_HTTP_KEY = _env("PORTAL_SMS_HTTP_KEY")
        self.MAIL_BACKEND = _env("PORTAL_MAIL_BACKEND", "log")  # "log" or "smtp"
        self.MAIL_LOG_FILE = _env("PORTAL_MAIL_LOG_FILE", str(INSTANCE / "mail.log"))
        self.SMTP_HOST = _env("PORTAL_SMTP_HOST", "localhost")
        self.SMTP_PORT = int(_env("PORTAL_SMTP_PORT", "25"))
        self.SMTP_USER = _env("PORTAL_SMTP_USER")
        self.SMTP_PASSWORD = _env("PORTAL_SMTP_PASSWORD")
        self.MAIL_FROM = _env("PORTAL_MAIL_FROM", "no-reply@localhost")
        # Seconds each SMTP or SMS-gateway connection and read may take, and seconds one
        # send-notifications run keeps starting new messages (the timer runs it each minute).
        self.NOTIFY_TIMEOUT = float(_env("PORTAL_NOTIFY_TIMEOUT", "10"))
        self.NOTIFY_RUN_SECONDS = float(_env("PORTAL_NOTIFY_RUN_SECONDS", "50"))

    def _read_documents_and_caches(self) -> None:
        """Signing, the fully-online target, and the statistics and page caches."""
        # Signed results (services/documents/signing.py): the default PKCS#12 certificate,
        # a folder of per-office ones (<agency code>.p12), and the roots /verify trusts.
        self.SIGNING_P12 = _env("PORTAL_SIGNING_P12")
        self.SIGNING_P12_PASSWORD = _env("PORTAL_SIGNING_P12_PASSWORD")
        self.SIGNING_P12_DIR = _env("PORTAL_SIGNING_P12_DIR")
        self.SIGNING_TRUST_ROOTS = _env("PORTAL_SIGNING_TRUST_ROOTS")  # a PEM file
        self.FULL_ONLINE_TARGET = float(_env("PORTAL_FULL_ONLINE_TARGET", "0.30"))
        # Computed statistics are reused while no figure could have changed, at most this
        # long (overdue figures move with time alone), in seconds; 0 turns the cache off.
        self.STATS_CACHE_SECONDS = int(_env("PORTAL_STATS_CACHE_SECONDS", "600"))
        # Within this many seconds a cached entry is served even if data changed meanwhile.
        self.STATS_CACHE_GRACE_SECONDS = int(_env("PORTAL_STATS_CACHE_GRACE_SECONDS", "60"))
        # Public pages for anonymous visitors, kept rendered and compressed (page_cache.py):
        # at most this many bytes per process (0 turns it off), each entry at most this
        # many seconds, and the data version read at most once per this many seconds.
        self.PAGE_CACHE_BYTES = int(_env("PORTAL_PAGE_CACHE_BYTES", str(32 * 1024 * 1024)))
        self.PAGE_CACHE_SECONDS = int(_env("PORTAL_PAGE_CACHE_SECONDS", "300"))
        self.PAGE_CACHE_VERSION_SECONDS = float(_env("PORTAL_PAGE_CACHE_VERSION_SECONDS", "1"))

    def _read_payments(self) -> None:
        """Online payment (VNPay) and its sandbox."""
        self.PAYMENT_SANDBOX = _flag("PORTAL_PAYMENT_SANDBOX")
        self.VNPAY_TMN_CODE = _env("PORTAL_VNPAY_TMN_CODE")
        self.VNPAY_HASH_SECRET = _env("PORTAL_VNPAY_HASH_SECRET")
        self.VNPAY_PAY_URL = _env("PORTAL_VNPAY_PAY_URL")
        self.VNPAY_API_URL = _env("PORTAL_VNPAY_API_URL")
        # An online payment attempt may be paid for this long (vnp_ExpireDate), in minutes.
        self.PAYMENT_EXPIRY_MINUTES = int(_env("PORTAL_PAYMENT_EXPIRY_MINUTES", "15"))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    EMAIL_ALLOW_TEST_DOMAINS = True  # demo accounts are @demo.test

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = _env("PORTAL_SECRET_KEY") or _instance_secret()
        # `make run` tries the whole fully-online flow locally, payments included.
        self.PAYMENT_SANDBOX = _flag("PORTAL_PAYMENT_SANDBOX", True)


class TestConfig(Config):
    ENV_NAME = "test"
    EMAIL_ALLOW_TEST_DOMAINS = True
    TESTING = True
    RATE_LIMITS_ON = False
    SERVER_NAME = None

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "test-secret-not-for-production"  # nosec B105 — TestConfig only
        self.DATABASE_URL = _env("PORTAL_TEST_DATABASE_URL", "sqlite://")
        self.PAYMENT_SANDBOX = True
        self.STATS_CACHE_GRACE_SECONDS = 0  # tests see every change at once unless they opt in
        # Tests roll their writes back, and the data version with them: a page cached in one
        # test could match another's. Off here; tests/test_page_cache.py turns it on.
        self.PAGE_CACHE_BYTES = 0
        self.PAGE_CACHE_VERSION_SECONDS = 0
        # Every test files as the same few demo accounts in one database: tests of the
        # draft limit set their own.
        self.MAX_DRAFTS_PER_USER = 100_000


def hardening_problems(config) -> list[str]:
    """What keeps `config` from being served over HTTPS only: every cookie Secure, the
    session cookie named with the __Host- prefix (Secure, path /, no domain: no subdomain or
    plain-HTTP page can set or shadow it), and HSTS for at least a year."""
    problems = []
    if not getattr(config, "HTTPS_ONLY", False):
        problems.append("HTTPS_ONLY is off")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if getattr(config, key, False) is not True:
            problems.append(f"{key} is not True")
    if not str(getattr(config, "SESSION_COOKIE_NAME", "")).startswith("__Host-"):
        problems.append("SESSION_COOKIE_NAME lacks the __Host- prefix")
    if getattr(config, "SESSION_COOKIE_DOMAIN", None):
        problems.append("SESSION_COOKIE_DOMAIN is set (a __Host- cookie has none)")
    if (getattr(config, "HSTS_SECONDS", 0) or 0) < 365 * 24 * 3600:
        problems.append("HSTS_SECONDS is less than a year")
    return problems


class ProductionConfig(Config):
    ENV_NAME = "production"
    HTTPS_ONLY = True
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_NAME = "__Host-remember"
    PREFERRED_URL_SCHEME = "https"

    def __init__(self) -> None:
        super().__init__()
        secret = _env("PORTAL_SECRET_KEY")
        problem = secret_problem(secret)
        if problem:
            raise RuntimeError(
                f"PORTAL_SECRET_KEY {problem}. In production it must be a random value of at "
                f"least {MIN_SECRET_LENGTH} characters, e.g. the output of "
                f"python3 -c 'import secrets; print(secrets.token_hex(32))'."
            )
        if _flag("PORTAL_PAYMENT_SANDBOX"):
            raise RuntimeError("PORTAL_PAYMENT_SANDBOX is refused in production.")
        if self.PROCESSES > 1 and self.RATELIMIT_STORAGE_URI.startswith("memory:"):
            raise RuntimeError(
                f"PORTAL_PROCESSES is {self.PROCESSES} but rate limits are kept in memory, "
                "per process: set PORTAL_RATELIMIT_STORAGE to a shared store such as "
                "redis://127.0.0.1:6379/0.")
        self.SECRET_KEY = secret
        self.PAYMENT_SANDBOX = False
        require_hardening(self)


def require_hardening(config) -> None:
    """Refuse to start production without HTTPS-only cookies and HSTS."""
    problems = hardening_problems(config)
    if problems:
        raise RuntimeError("Production must be served over HTTPS only: " + "; ".join(problems)
                           + ".")


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
