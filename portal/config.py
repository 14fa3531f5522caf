"""Settings come from the environment (and a `.env` file when present)."""

from __future__ import annotations

import os
from datetime import timedelta


class ConfigError(RuntimeError):
    pass


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str) -> dict:
    environment = os.environ.get("PORTAL_ENV", "production").strip().lower()
    development = environment == "development"
    sqlite_default = "sqlite:///" + os.path.join(instance_path, "portal.sqlite3")
    mail_backend = os.environ.get("MAIL_BACKEND", "console" if development else "smtp")
    upload_max_bytes = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
    return {
        "ENV_NAME": environment,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL") or sqlite_default
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        "DEFAULT_TIMEZONE": os.environ.get("PORTAL_DEFAULT_TIMEZONE", "America/New_York"),
        # Mail: "console" prints messages instead of sending them.
        "MAIL_BACKEND": mail_backend,
        # Deliver what a change queued right after it is stored, instead of waiting for
        # `flask outbox send`: how printed mail shows up in the demo's terminal at once.
        "MAIL_SEND_ON_COMMIT": _flag("MAIL_SEND_ON_COMMIT", mail_backend == "console"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Design Group Portal <portal@localhost>"),
        # Texts: "twilio", "console" to print them, or "off".
        "SMS_BACKEND": os.environ.get(
            "SMS_BACKEND",
            "console" if development else ("twilio" if os.environ.get("TWILIO_ACCOUNT_SID")
                                           else "off"),
        ),
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM_NUMBER": os.environ.get("TWILIO_FROM_NUMBER"),
        "TWILIO_API_BASE": os.environ.get("TWILIO_API_BASE"),
        # Local time (program's zone) when no texts are sent, as "HH:MM-HH:MM".
        # How to reach the staff, said in the reply to HELP (a phone number, say).
        "STAFF_CONTACT": os.environ.get("PORTAL_STAFF_CONTACT", ""),
        "TEXT_QUIET_HOURS": os.environ.get("TEXT_QUIET_HOURS", "21:00-08:00"),
        "OUTBOX_MAX_BACKOFF_MINUTES": int(os.environ.get("OUTBOX_MAX_BACKOFF_MINUTES", "60")),
        # Sign-in throttling; Redis through e.g. redis://127.0.0.1:6379/0.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        "SIGN_IN_LIMIT_PER_ACCOUNT": os.environ.get(
            "SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"
        ),
        "SIGN_IN_LIMIT_PER_ADDRESS": os.environ.get(
            "SIGN_IN_LIMIT_PER_ADDRESS", "30 per 15 minutes"
        ),
        # Forgot-password answers take at least this long, known address or not.
        "ACCOUNT_ANSWER_SECONDS": 0.25,
        # Reverse proxies in front of the portal whose X-Forwarded-For/-Proto to trust.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "INVITATION_LIFETIME": timedelta(days=14),
        "PASSWORD_RESET_LIFETIME": timedelta(hours=1),
        "EMAIL_CONFIRM_LIFETIME": timedelta(days=2),
        "PASSWORD_MIN_LENGTH": 10,
        "PASSWORD_HASH_METHOD": "scrypt",
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=int(os.environ.get("SESSION_LIFETIME_HOURS", "12"))
        ),
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", not development),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "portal_session",
        # Each form checks its own token so an expired page keeps what was typed.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # Uploaded files live outside the static folder, under random names.
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or os.path.join(instance_path, "uploads"),
        "UPLOAD_MAX_BYTES": upload_max_bytes,
        # A little above the file limit, so a too-large file gets the form's own message.
        "MAX_CONTENT_LENGTH": upload_max_bytes + 1024 * 1024,
        "PEOPLE_PER_PAGE": 50,
        "AUDIT_EVENTS_PER_PAGE": 50,
        "OUTBOX_PER_PAGE": 50,
        "ENROLLMENTS_PER_PAGE": 50,
        "ROSTER_PER_PAGE": 50,
        "PAYMENTS_PER_PAGE": 50,
        # A season of twice-monthly meetings fits on one page of the calendar.
        "MEETINGS_PER_PAGE": 20,
        # Recording or voiding money asks for the password again after this long.
        "RECENT_SIGN_IN_MINUTES": int(os.environ.get("RECENT_SIGN_IN_MINUTES", "15")),
        # Wrong passwords typed to confirm such a step before the session is ended.
        "PASSWORD_CONFIRM_LIMIT": os.environ.get("PASSWORD_CONFIRM_LIMIT", "5 per 15 minutes"),
        # Yearly total paid to one person from which the payer must report it
        # (IRS Form 1099): {first year it applies: amount in cents}.
        "TAX_REPORTING_THRESHOLDS": parse_thresholds(
            os.environ.get("TAX_REPORTING_THRESHOLDS", "1900:600,2026:2000")
        ),
        "DOCUMENTS_PER_PAGE": 20,
        "APPLICATIONS_PER_PAGE": 50,
        # Applications of people not selected are deleted this long after the decisions.
        "APPLICATION_RETENTION_DAYS": int(os.environ.get("APPLICATION_RETENTION_DAYS", "180")),
        # Applications, drafts and status checks sent from one address (counted together).
        "APPLICATION_LIMIT_PER_ADDRESS": os.environ.get(
            "APPLICATION_LIMIT_PER_ADDRESS", "60 per hour"),
    }


def parse_thresholds(text: str) -> dict[int, int]:
    """"1900:600,2026:2000" → {1900: 60000, 2026: 200000} (whole dollars from each year on)."""
    thresholds = {}
    for part in text.split(","):
        year, _, dollars = part.strip().partition(":")
        if not (year.strip().isdigit() and dollars.strip().isdigit()):
            raise ConfigError(
                f"TAX_REPORTING_THRESHOLDS has {part.strip()!r}; write year:dollars pairs "
                "separated by commas, e.g. 1900:600,2026:2000."
            )
        thresholds[int(year)] = int(dollars) * 100
    return thresholds


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def check_config(config) -> None:
    if config.get("SMS_BACKEND") == "twilio":
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                     "TWILIO_FROM_NUMBER") if not config.get(name)]
        if missing:
            raise ConfigError(f"SMS_BACKEND is twilio but {', '.join(missing)} is not set.")
    if config.get("SMS_BACKEND") not in {"twilio", "console", "off"}:
        raise ConfigError("SMS_BACKEND must be twilio, console or off.")
    if not config.get("SECRET_KEY"):
        if config.get("ENV_NAME") in {"development", "testing"} or config.get("TESTING"):
            config["SECRET_KEY"] = "development-only-not-secret"  # noqa: S105
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Set it to a long random value, "
                'e.g. python -c "import secrets; print(secrets.token_hex(32))".'
            )
