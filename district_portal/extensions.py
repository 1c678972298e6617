"""Flask extensions, created here and bound in create_app with init_app."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
compress = Compress()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _limits_off() -> bool:
    """Exempt every request of an app configured without rate limits (tests)."""
    from flask import current_app

    return not current_app.config.get("RATE_LIMITS_ON", True)
