"""Django settings for Frikommune, read from the environment (see .env.example)."""

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False, "Development mode: detailed error pages, console email.")
_DEV_SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", "", "Secret for signing sessions and tokens; required unless DEBUG.")
TESTING = "pytest" in sys.modules or env_bool(
    "TESTING", False, "Running the test suite; allows the development SECRET_KEY."
)
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]", "Comma-separated host names this site serves."
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", "", "Comma-separated origins (https://host) trusted for POSTs."
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "config.apps.StaticFilesConfig",  # django.contrib.staticfiles, see config/apps.py
    "django.contrib.humanize",
    "config",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "viewflow",
    "viewflow.workflow",
    "django_tasks",
    "casework",  # before django_tasks_db: its db_worker also requeues abandoned tasks
    "django_tasks_db",
    "legal",
    "trials",
    "workflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "casework.middleware.RequestIdMiddleware",
    "casework.middleware.ContentSecurityPolicyMiddleware",
    # Kept public answers for anonymous readers, before the rest (casework.fastpath); it
    # replays what the middleware below it do, so keep it in front of exactly these.
    "casework.fastpath.FastPublicMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "casework.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "casework.api.RejectNulInApiQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "casework.identity.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "casework.context_processors.service",
                # Last: the CSRF placeholder of a page rendered to be shared between readers.
                "casework.caching.shared_page_csrf",
            ],
        },
    },
    {
        # Plain text (emails, letters): no HTML escaping of "&" or quotes.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env(
            "DATABASE_URL",
            f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            "Database; SQLite file in the project by default, postgres://... in production.",
        ),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0, "Seconds to keep database connections open."),
        # A kept connection the server has dropped (restart, failover, a proxy's idle
        # timeout) is found at the start of the next request and opened again.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; busy timeout waits for the lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # PostgreSQL's JIT compiles a query whose estimated cost is high (the register's and the
    # statistics' aggregates) for longer than it then runs: off for the web's short queries.
    _pg_options = env(
        "DB_SERVER_OPTIONS",
        "-c jit=off",
        "PostgreSQL options sent at connect; empty behind a pooler that refuses them.",
    )
    if _pg_options:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = _pg_options

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {
            "min_length": env_int(
                "PASSWORD_MIN_LENGTH", 12, "Shortest password a local account may get."
            )
        },
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Local accounts: failed password logins lock the account (and an address trying many
# accounts) out for a while; counted in the shared cache.
LOGIN_FAILURES_PER_ACCOUNT = env_int(
    "LOGIN_FAILURES_PER_ACCOUNT", 5, "Failed password logins before an account is locked out."
)
LOGIN_FAILURES_PER_ADDRESS = env_int(
    "LOGIN_FAILURES_PER_ADDRESS",
    20,
    "Failed password logins before a client address is locked out.",
)
LOGIN_LOCKOUT_SECONDS = env_int(
    "LOGIN_LOCKOUT_SECONDS", 900, "Seconds a lockout lasts (counted from the first failure)."
)
# Sessions end after this long without use, and after this long in any case.
SESSION_IDLE_TIMEOUT = env_int(
    "SESSION_IDLE_TIMEOUT", 3600, "Seconds without a request before a login session ends."
)
SESSION_ABSOLUTE_TIMEOUT = env_int(
    "SESSION_ABSOLUTE_TIMEOUT", 43200, "Seconds after login when a session ends in any case."
)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "casework.identity.backends.ProviderBackend",
]

# Login through OpenID Connect: ID-porten, Ansattporten (Digdir) and one generic provider for
# KDD's and the ministries' own login. A provider is offered when its issuer and client id
# are set; endpoints come from the issuer's discovery document unless given here. README,
# "Logging in", says what to register with each provider.
OIDC_PROVIDER_KEYS = ("idporten", "ansattporten", "generic")
_OIDC_DEFAULTS = {
    "idporten": ("ID-porten", "openid profile", "idporten-loa-substantial"),
    "ansattporten": ("Ansattporten", "openid profile", "idporten-loa-substantial"),
    "generic": ("", "openid profile email", ""),
}
OIDC_PROVIDERS: dict[str, dict[str, str]] = {}
for _key in OIDC_PROVIDER_KEYS:
    _name, _scopes, _acr = _OIDC_DEFAULTS[_key]
    _prefix = f"OIDC_{_key.upper()}_"
    OIDC_PROVIDERS[_key] = {
        "name": env(_prefix + "NAME", _name, f"Name of the {_key} login on the login page."),
        "issuer": env(
            _prefix + "ISSUER", "", f"{_key}: issuer URL (its discovery document); empty: off."
        ),
        "client_id": env(_prefix + "CLIENT_ID", "", f"{_key}: client id registered with it."),
        "client_secret": env(_prefix + "CLIENT_SECRET", "", f"{_key}: client secret."),
        "scopes": env(_prefix + "SCOPES", _scopes, f"{_key}: scopes asked for."),
        "acr": env(
            _prefix + "ACR",
            _acr,
            f"{_key}: lowest accepted acr, also sent as acr_values; empty: not checked.",
        ),
        "authorization_endpoint": env(
            _prefix + "AUTHORIZATION_ENDPOINT", "", f"{_key}: explicit authorization endpoint."
        ),
        "token_endpoint": env(_prefix + "TOKEN_ENDPOINT", "", f"{_key}: explicit token endpoint."),
        "jwks_uri": env(_prefix + "JWKS_URI", "", f"{_key}: explicit JWKS (signing keys) URL."),
        "userinfo_endpoint": env(
            _prefix + "USERINFO_ENDPOINT", "", f"{_key}: explicit userinfo endpoint."
        ),
        "end_session_endpoint": env(
            _prefix + "END_SESSION_ENDPOINT", "", f"{_key}: explicit end_session (logout) endpoint."
        ),
        "authorization_details": env(
            _prefix + "AUTHORIZATION_DETAILS",
            "",
            f"{_key}: JSON sent as authorization_details (Ansattporten: the Altinn resource).",
        ),
    }
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10, "Seconds to wait for an OIDC provider's answer.")
# Digdir signs with RS256; never a shared-secret or unsigned token.
OIDC_SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]

LANGUAGE_CODE = "nb"
LANGUAGES = [
    ("nb", _("Norwegian Bokmål")),
    ("nn", _("Norwegian Nynorsk")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Oslo", "Time zone for dates shown to users.")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / env(
    "STATIC_ROOT",
    "staticfiles",
    "Folder collectstatic fills and the app serves static files from (relative: to the project).",
)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = BASE_DIR / env(
    "MEDIA_ROOT", "media", "Folder for uploaded documents (relative: to the project)."
)
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024, "Largest accepted upload.")

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend",
    "Django email backend; SMTP in production.",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost", "SMTP server host.")
EMAIL_PORT = env_int("EMAIL_PORT", 25, "SMTP server port.")
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "", "SMTP user name.")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "", "SMTP password.")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False, "Use STARTTLS for SMTP.")
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", "Frikommune <ikke-svar@frikommune.example>", "Sender of emails."
)

# Background work (mail, letters): tasks of Django's Tasks framework, enqueued in the same
# transaction as the change that causes them. The database backend needs no broker; its worker
# is `manage.py db_worker`. TASKS_BACKEND=django_tasks_rq.RQBackend switches to RQ with Redis
# (README, "Background work") with no change to the code that enqueues.
_TASKS_BACKEND = env(
    "TASKS_BACKEND",
    "django_tasks_db.DatabaseBackend",
    "Tasks backend: django_tasks_db.DatabaseBackend, or django_tasks_rq.RQBackend (Redis).",
)
TASKS = {"default": {"BACKEND": _TASKS_BACKEND, "QUEUES": ["default"]}}
if _TASKS_BACKEND == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")
RQ_QUEUES = {
    "default": {
        "URL": env("TASKS_REDIS_URL", "redis://127.0.0.1:6379/0", "Redis for the RQ backend.")
    }
}
TASKS_MAX_ATTEMPTS = env_int(
    "TASKS_MAX_ATTEMPTS", 6, "Attempts to send a mail or render a letter before giving up."
)
TASKS_RETRY_BASE_SECONDS = env_int(
    "TASKS_RETRY_BASE_SECONDS",
    60,
    "First retry delay of a failed task, in seconds; doubled after each further failure.",
)
TASKS_STALE_AFTER_SECONDS = env_int(
    "TASKS_STALE_AFTER_SECONDS",
    900,
    "A task running this long is taken as abandoned by a dead worker and run again.",
)

# Throttle counts and page caches live here: in production a cache every worker and host
# shares (Redis), or each worker keeps its own counts (a deploy check warns).
_CACHE_BACKEND = env(
    "CACHE_BACKEND",
    "django.core.cache.backends.locmem.LocMemCache",
    "Cache backend; django.core.cache.backends.redis.RedisCache in production.",
)
if _CACHE_BACKEND == "django.core.cache.backends.redis.RedisCache":
    # The same backend, with its Redis client kept per process (casework/cache.py).
    _CACHE_BACKEND = "casework.cache.RedisCache"
CACHES = {
    "default": {
        "BACKEND": _CACHE_BACKEND,
        "LOCATION": env("CACHE_LOCATION", "", "Cache location, e.g. redis://127.0.0.1:6379/1."),
        "KEY_PREFIX": env(
            "CACHE_KEY_PREFIX", "", "Prefix of every cache key, for a cache shared with others."
        ),
    }
}

# Reverse proxies in front of the app (nginx, a load balancer): each appends the address it
# got the request from to X-Forwarded-For and sets X-Forwarded-Proto. Only that many hops of
# X-Forwarded-For are believed (the API throttle's client address), and X-Forwarded-Proto only
# when there is a proxy to set it; with 0 the client's own headers count for nothing.
TRUSTED_PROXY_COUNT = env_int(
    "TRUSTED_PROXY_COUNT",
    0,
    "Reverse proxies in front of the app that set X-Forwarded-For/-Proto; 0: clients connect "
    "directly.",
)
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

_SECURE_COOKIES = env_bool("SECURE_COOKIES", True, "HTTPS-only cookies (ignored when DEBUG).")
SESSION_COOKIE_SECURE = _SECURE_COOKIES and not DEBUG
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Safe by default in production (DEBUG off): HTTPS only, with HSTS. Development and the test
# suite run over plain HTTP, so there the defaults are off.
_HTTPS_DEFAULT = not (DEBUG or TESTING)
SECURE_SSL_REDIRECT = env_bool(
    "SECURE_SSL_REDIRECT", _HTTPS_DEFAULT, "Redirect HTTP to HTTPS (default: on unless DEBUG)."
)
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS",
    31536000 if _HTTPS_DEFAULT else 0,
    "HSTS max-age in seconds (default: one year unless DEBUG; 0 turns HSTS off).",
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", _HTTPS_DEFAULT, "HSTS includeSubDomains (default as above)."
)
SECURE_HSTS_PRELOAD = env_bool(
    "SECURE_HSTS_PRELOAD", _HTTPS_DEFAULT, "HSTS preload directive (default as above)."
)
# Content-Security-Policy: no inline scripts or styles; everything is served from this site.
_STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_CSP = env(
    "CONTENT_SECURITY_POLICY",
    "",
    "Content-Security-Policy header; empty: the built-in strict policy, 'none': no header.",
)
CONTENT_SECURITY_POLICY = "" if _CSP.strip() == "none" else (_CSP.strip() or _STRICT_CSP)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "casework.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "casework.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("PUBLIC_API_RATE", "120/minute", "Public API requests per client address."),
        "user": "600/minute",
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "trials.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Frikommune API",
    "DESCRIPTION": (
        "Applications, exemptions and trials under forsøksloven (LOV-1992-06-26-87). "
        "Public data is licensed under NLOD 2.0."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "LICENSE": {"name": "AGPL-3.0-or-later"},
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "casework.api.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ActKindEnum": "legal.choices.ActKind",
        "LimitKindEnum": "legal.choices.LimitKind",
        "OrganisationKindEnum": "casework.choices.OrganisationKind",
        "ApplicationStatusEnum": "trials.choices.ApplicationStatus",
        "TrialStatusEnum": "trials.choices.TrialStatus",
        "RoleEnum": "casework.choices.Role",
        "ObligationKindEnum": "trials.choices.ObligationKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "filters": {"request_id": {"()": "casework.middleware.RequestIdLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO", "Root log level.")},
}

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000", "Public address of the site, used in emails.")

FRIKOMMUNE = {
    "SERVICE_NAME": "Frikommune",
}
