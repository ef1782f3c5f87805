"""Settings for the CTPAT seminar registration site.

Everything host-specific or secret comes from the environment. With nothing set, the site runs
for local development on SQLite; ``DATABASE_URL=postgres://…`` switches to PostgreSQL, the
production database.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS-only behaviour follows its own switch, not DEBUG: the site also runs with DEBUG off over
# plain HTTP on loopback, behind a TLS-terminating proxy in production.
HTTPS_ONLY = env_bool("HTTPS_ONLY")
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
if HTTPS_ONLY and env_bool("TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "ctpat.apps.CtpatAdminConfig",  # django.contrib.admin with two-factor for staff
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "nested_admin",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_otp",
    "ctpat.apps.TOTPConfig",  # django_otp.plugins.otp_totp, named for staff
    "ctpat.apps.AxesConfig",  # axes, named for staff
    "ctpat",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ctpat.middleware.unreadable_body_refuse",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Keep it last: its process_exception must see the view's database errors first, and its
    # 503 answer still passes through every middleware above (security headers, cookies).
    "ctpat.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "ctpat.urls"
WSGI_APPLICATION = "ctpat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ctpat.context_processors.public_cache",
            ],
        },
    },
]

# Database: SQLite by default (IMMEDIATE transactions so writers serialize instead of failing
# with "database is locked" on upgrade), PostgreSQL when DATABASE_URL points at one.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

# A stuck transaction must not hold every worker: a request waits at most DB_LOCK_TIMEOUT_MS for
# a row lock and runs a statement at most DB_STATEMENT_TIMEOUT_MS, then gets a "busy, try again"
# page (ctpat.middleware). A session left idle inside a transaction is ended by PostgreSQL.
# `manage.py migrate` may rewrite a big table or build an index, so it runs without the first two.
DB_LOCK_TIMEOUT_MS = int(os.environ.get("DB_LOCK_TIMEOUT_MS", "5000"))
DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "15000"))
DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = int(
    os.environ.get("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "60000")
)
if sys.argv[1:2] == ["migrate"]:
    DB_LOCK_TIMEOUT_MS = DB_STATEMENT_TIMEOUT_MS = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        # SQLite's busy timeout is the nearest it has to a lock timeout (seconds; 0 = wait on).
        "timeout": DB_LOCK_TIMEOUT_MS / 1000 if DB_LOCK_TIMEOUT_MS else 3600,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        filter(
            None,
            (
                _options.get("options"),
                f"-c lock_timeout={DB_LOCK_TIMEOUT_MS}",
                f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
                f"-c idle_in_transaction_session_timeout={DB_IDLE_IN_TRANSACTION_TIMEOUT_MS}",
            ),
        )
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "ctpat.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before the password
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files served at the site's root by WhiteNoise, before Django: a browser asks for /favicon.ico
# on its first page, and as Django's 404 page that request set a CSRF cookie of its own, which
# could replace the one a form on that first page was rendered with ("form expired").
WHITENOISE_ROOT = BASE_DIR / "public"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "CTPAT Seminars <ctpat-seminars@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Absolute links in e-mails (the management link) need the public address of the site.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "private_links": {"()": "ctpat.logfilters.RedactPrivateLinks"},
        "security_one_line": {"()": "ctpat.logfilters.SecurityEventOneLine"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["private_links", "security_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its start-up banner, in every command
        "weasyprint.progress": {"level": "WARNING"},  # each step of every PDF made
        # A refused form (422), a 404 or a 429 is the visitor's answer, not an event for the
        # operators: a rush morning's thousands of them would bury the errors (5xx stay logged;
        # the access log keeps every status).
        "django.request": {"level": "ERROR"},
    },
}

# Deliver outbox e-mail in the request, right after the transaction that wrote it commits: for
# local development only. In production (the default without DEBUG) a worker running
# `manage.py send_outbox --loop` sends it, so rendering and a slow SMTP server never slow a
# registrant's request.
OUTBOX_DELIVER_ON_COMMIT = env_bool("OUTBOX_DELIVER_ON_COMMIT", default=DEBUG)
# Messages a second the worker (and send_reminders) may hand to the mail service: set it to the
# account's sending quota (0: no limit). See events.outbox.outbox_send_due.
OUTBOX_SEND_RATE = max(0.0, float(os.environ.get("OUTBOX_SEND_RATE", "10")))

# Django's cache. By default each app-server process keeps its own in memory: the site caches only
# public counts for a second or two (below), the same on every server, so a shared cache would
# add a network round trip and buy nothing. CACHE_BACKEND and CACHE_LOCATION name another
# (Redis, Memcached) for uses that need one.
CACHES = {
    "default": {
        "BACKEND": os.environ.get("CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": os.environ.get("CACHE_LOCATION", "ctpat"),
    }
}
# What the seminar page, availability.json and the blank registration form show of the seats is
# kept in the cache this many seconds (at most 2; 0 turns it off): {% cache %} fragments and the
# availability document. Nothing a rule decides is read from it.
PUBLIC_PAGE_CACHE_SECONDS = min(int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "1")), 2)

# --- Abuse protection (ctpat.security, ctpat.ratelimit) ------------------------------------------

# The client's address comes from REMOTE_ADDR unless the site sits behind proxies of its own:
# then name the header they append to (X-Forwarded-For) and how many of them append to it.
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "")
TRUSTED_PROXY_COUNT = int(
    os.environ.get("TRUSTED_PROXY_COUNT", "1" if TRUSTED_PROXY_HEADER else "0")
)


def env_rate(name: str, default: str) -> tuple[int, int]:
    """``"10/m"`` → (10 requests, 60 seconds); the period is s, m, h or a number of seconds."""
    count, _slash, period = os.environ.get(name, default).partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600}.get(period) or int(period or 60)
    return int(count), seconds


# Rate limits: on unless RATELIMIT_ENABLED=0 (load tests send thousands of requests from one
# address). Counted first on what an abuser cannot rotate cheaply, then on the address, which a
# whole office or training room may share; never reached by an honest user:
# - an account number: 2 seats per company, two colleagues each fixing a typo or two → 10/min;
# - an e-mail: one person retrying after a refusal → 5/min;
# - an address: 50 people behind one NAT, each posting the form once or twice → 120/min;
# - a private link: a few cancel/change/hand-over posts → 10/min; its pages per address 120/min;
# - check-in: a scanner at a busy door reads a code every 2 or 3 s → 120/min per staff account,
#   several desks on one venue network → 300/min per address.
RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", default=True)
RATELIMITS = {
    "register-account": env_rate("RATELIMIT_REGISTER_ACCOUNT", "10/m"),
    "register-email": env_rate("RATELIMIT_REGISTER_EMAIL", "5/m"),
    "register-ip": env_rate("RATELIMIT_REGISTER_IP", "120/m"),
    "company-account": env_rate("RATELIMIT_COMPANY_ACCOUNT", "10/h"),
    "company-email": env_rate("RATELIMIT_COMPANY_EMAIL", "10/h"),
    "company-ip": env_rate("RATELIMIT_COMPANY_IP", "60/m"),
    "manage-ip": env_rate("RATELIMIT_MANAGE_IP", "120/m"),
    "manage-token": env_rate("RATELIMIT_MANAGE_TOKEN", "10/m"),
    "checkin-user": env_rate("RATELIMIT_CHECKIN_USER", "120/m"),
    "checkin-ip": env_rate("RATELIMIT_CHECKIN_IP", "300/m"),
}

# Staff log in with a password and a TOTP code (django-otp) to reach the admin and the check-in
# desk. Turn off only for a throwaway local database; `demo_staff` prints the demo account's key.
STAFF_OTP_REQUIRED = env_bool("STAFF_OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = "CTPAT Seminars"

# Admin login lockout (django-axes): 5 failures for one username from one address lock that pair
# for 15 minutes; a success resets the count. Attempts are kept in the database.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "ctpat.security.client_ip"
AXES_LOCKOUT_CALLABLE = "ctpat.ratelimit.axes_lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# Content Security Policy (django-csp): no inline script or style anywhere, the admin included.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
