"""Liftoff settings: one module, everything from the environment.

Development defaults are safe to run locally; with DEBUG off the settings refuse to start
without a SECRET_KEY and switch on the secure-cookie / HSTS / SSL protections.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. "
            "Set DEBUG=1 for local development or export SECRET_KEY."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-" + "x" * 20

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Liftoff's own apps. Pages, API routes, reminder rules and periodic jobs are collected from each
# in this order (config/urls.py, config/api.py, notifications.registry, setup_schedules).
# `projects` is the core every other app stands on; see docs/architecture.md.
LIFTOFF_APPS = ["projects", "requirements", "defects", "training", "tasks", "hypercare", "readiness", "notifications"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "simple_history",
    "csp",
    *LIFTOFF_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "projects.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "projects.middleware.VaryOnHtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware should be the last middleware.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "csp.context_processors.nonce",
                "projects.context_processors.navigation",
                "projects.pagecache.csrf_placeholder",
            ],
            "builtins": ["django.templatetags.i18n", "template_partials.templatetags.partials"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must hold under load (gunicorn workers, the Celery worker and beat write
    # at once): WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a
    # transaction starts, so two writers queue on the busy timeout instead of one failing with
    # "database is locked" when it upgrades a read lock; synchronous=NORMAL is safe with WAL.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={};".format(
            env.int("SQLITE_BUSY_TIMEOUT", default=20) * 1000),
    })
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (a new PostgreSQL connection per request costs more than most queries),
# checked before reuse so a restarted database never hands out a dead one.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")


# --- Production (issue 15): instance name, fault-tolerant cache --------------------------------
def _instance_name(database):
    """A short name for this installation, for the cache key prefix and the Celery queue: two
    instances on one Redis never read each other's keys or consume each other's tasks."""
    import hashlib
    import re

    name = str(database.get("NAME") or "liftoff")
    if database["ENGINE"].endswith("sqlite3"):
        # Two clones have the same file name: the folder and a hash of the full path tell them apart.
        path = Path(name).resolve()
        name = f"{path.parent.name}-{hashlib.sha256(str(path).encode()).hexdigest()[:6]}"
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:40] or "liftoff"


INSTANCE_NAME = env.str("INSTANCE_NAME", default="") or _instance_name(DATABASES["default"])

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
        if env.bool("LOCMEM_CACHE", default=False)
        else "projects.cache.FaultTolerantRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": INSTANCE_NAME,
        # Redis down or hanging costs at most this long, then the cache behaves as a miss.
        "OPTIONS": {"socket_connect_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.25),
                    "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.25),
                    "retry_on_timeout": False},
    }
}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    CACHES["default"].pop("LOCATION")
    CACHES["default"].pop("OPTIONS")
# Rendered heavy pages kept per reader until the project changes (projects.pagecache); off: always computed.
PAGE_CACHE = env.bool("PAGE_CACHE", default=True)
# --- end Production (issue 15) -----------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"

# Directory sign-in (docs/configuration.md, "Directory sign-in"). Both are off unless configured;
# local accounts keep working either way, and django-axes (first backend) throttles every login.
# LDAP / Active Directory via django-python3-ldap (pure Python: the install stays pip-only).
LDAP_AUTH_URL = env.list("LDAP_URL", default=[])
LDAP_AUTH_USE_TLS = env.bool("LDAP_START_TLS", default=False)
LDAP_AUTH_SEARCH_BASE = env.str("LDAP_SEARCH_BASE", default="")
LDAP_AUTH_OBJECT_CLASS = env.str("LDAP_USER_OBJECT_CLASS", default="inetOrgPerson")
LDAP_AUTH_USER_FIELDS = {
    "username": env.str("LDAP_ATTR_USERNAME", default="uid"),
    "first_name": env.str("LDAP_ATTR_FIRST_NAME", default="givenName"),
    "last_name": env.str("LDAP_ATTR_LAST_NAME", default="sn"),
    "email": env.str("LDAP_ATTR_EMAIL", default="mail"),
}
LDAP_AUTH_USER_LOOKUP_FIELDS = ("username",)
LDAP_AUTH_CLEAN_USER_DATA = "projects.directory.ldap_clean_user_data"
LDAP_AUTH_FORMAT_SEARCH_FILTERS = "projects.directory.ldap_search_filters"
LDAP_AUTH_SYNC_USER_RELATIONS = "projects.directory.ldap_sync_user"
LDAP_AUTH_ACTIVE_DIRECTORY_DOMAIN = env.str("LDAP_AD_DOMAIN", default="") or None
LDAP_AUTH_FORMAT_USERNAME = (
    "django_python3_ldap.utils.format_username_active_directory_principal"
    if LDAP_AUTH_ACTIVE_DIRECTORY_DOMAIN else "django_python3_ldap.utils.format_username_openldap"
)
LDAP_AUTH_CONNECTION_USERNAME = env.str("LDAP_BIND_USERNAME", default="") or None
LDAP_AUTH_CONNECTION_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="") or None
LDAP_AUTH_CONNECT_TIMEOUT = env.int("LDAP_TIMEOUT", default=5)
LDAP_AUTH_RECEIVE_TIMEOUT = env.int("LDAP_TIMEOUT", default=5)
# Try each directory server once per sign-in: ldap3's default (True) retries forever, so a directory
# that is down would hold the worker (and a CPU) until it comes back; now it is a failed sign-in.
LDAP_AUTH_POOL_ACTIVE = env.int("LDAP_POOL_ATTEMPTS", default=1)
# Only members of this group (its DN; matched with memberOf) may sign in; empty = everybody found.
LIFTOFF_LDAP_REQUIRE_GROUP = env.str("LDAP_REQUIRE_GROUP", default="")
LIFTOFF_LDAP_DEPARTMENT_ATTR = env.str("LDAP_ATTR_DEPARTMENT", default="department")
if LDAP_AUTH_URL:
    if not LDAP_AUTH_SEARCH_BASE:
        raise ImproperlyConfigured("LDAP_URL is set: set LDAP_SEARCH_BASE too (e.g. ou=people,dc=bank,dc=cn).")
    AUTHENTICATION_BACKENDS.append("django_python3_ldap.auth.LDAPBackend")

# OpenID Connect single sign-on via mozilla-django-oidc: on when OIDC_CLIENT_ID is set.
OIDC_ENABLED = bool(env.str("OIDC_CLIENT_ID", default=""))
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_JWKS_ENDPOINT", default="")
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
OIDC_DEPARTMENT_CLAIM = env.str("OIDC_DEPARTMENT_CLAIM", default="department")
OIDC_CREATE_USER = env.bool("OIDC_CREATE_USER", default=True)
OIDC_VERIFY_SSL = env.bool("OIDC_VERIFY_SSL", default=True)
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
if OIDC_ENABLED:
    missing = [name for name, value in [
        ("OIDC_AUTHORIZATION_ENDPOINT", OIDC_OP_AUTHORIZATION_ENDPOINT), ("OIDC_TOKEN_ENDPOINT", OIDC_OP_TOKEN_ENDPOINT),
        ("OIDC_USERINFO_ENDPOINT", OIDC_OP_USER_ENDPOINT),
        ("OIDC_JWKS_ENDPOINT", OIDC_OP_JWKS_ENDPOINT if OIDC_RP_SIGN_ALGO.startswith("RS") else "x"),
    ] if not value]
    if missing:
        raise ImproperlyConfigured("OIDC_CLIENT_ID is set: set " + ", ".join(missing) + " too.")
    AUTHENTICATION_BACKENDS.append("projects.directory.OIDCBackend")
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"

# Session: idle timeout (seconds of inactivity before logging out), refreshed on activity.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# django-axes: throttle failed logins, lock out with a cool-off, log it.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [str(BASE_DIR / "locale")]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")  # collectstatic writes here
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("MANIFEST_STATIC", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploads live under MEDIA_ROOT and are never served directly: views check membership first.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Email
# `log://` (the development default): one log line per batch of e-mails, nothing sent (projects/mail.py).
environ.Env.EMAIL_SCHEMES.setdefault("log", "projects.mail.QuietConsoleBackend")
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="log://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="liftoff@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Content Security Policy: no inline script or style anywhere, no third-party origin.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Django REST Framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes unauthenticated requests a 401, not a 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "projects.api_base.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "projects.api_base.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {"token": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liftoff API",
    "DESCRIPTION": "Go-live management for a bank's business system.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`, `kind` or `category`: name each choice set after its domain.
    "ENUM_NAME_OVERRIDES": {
        "PhaseEnum": "projects.models.Phase",
        "RoleEnum": "projects.models.Role",
        "RaciEnum": "projects.models.Raci",
        "VerdictEnum": "readiness.models.Verdict",
        "DecisionStatusEnum": "readiness.models.DecisionStatus",
        "LessonKindEnum": "hypercare.models.LessonKind",
        "LessonActionStatusEnum": "hypercare.models.LessonActionStatus",
        "SurveyMethodEnum": "requirements.models.SurveyMethod",
        "SurveyStatusEnum": "requirements.models.SurveyStatus",
        "QuestionKindEnum": "requirements.models.QuestionKind",
        "RequirementPriorityEnum": "requirements.models.Priority",
        "RequirementStatusEnum": "requirements.models.RequirementStatus",
        "ReviewDecisionEnum": "requirements.models.Decision",
        "ConflictStatusEnum": "requirements.models.ConflictStatus",
        "TrainingModeEnum": "training.models.Mode",
        "EnrolmentStatusEnum": "training.models.EnrolmentStatus",
        "WorkItemStatusEnum": "tasks.models.WorkItemStatus",
        "RunbookKindEnum": "tasks.models.RunbookKind",
        "StepCategoryEnum": "tasks.models.Category",
        "RunKindEnum": "tasks.models.RunKind",
        "RunStatusEnum": "tasks.models.RunStatus",
        "RunStepStatusEnum": "tasks.models.RunStepStatus",
        "CheckpointDecisionEnum": "tasks.models.Decision",
        "CheckStatusEnum": "tasks.models.CheckStatus",
        "PlanStatusEnum": "tasks.models.PlanStatus",
        "EmailStatusEnum": "notifications.models.EmailStatus",
        "EmailModeEnum": "notifications.models.EmailMode",
        "SeverityEnum": "defects.models.Severity",
        "DefectCategoryEnum": "defects.models.Category",
        "DefectPriorityEnum": "defects.models.Priority",
        "DefectStatusEnum": "defects.models.Status",
        "FoundInEnum": "defects.models.FoundIn",
        "RejectReasonEnum": "defects.models.RejectReason",
        "CycleKindEnum": "defects.models.CycleKind",
        "CycleStatusEnum": "defects.models.CycleStatus",
        "ResultStatusEnum": "defects.models.ResultStatus",
    },
}
# Choice sets of the test evidence and the cutover command centre, named once in the OpenAPI schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "RiskCategoryEnum": "readiness.models.RiskCategory",
    "RiskStatusEnum": "readiness.models.RiskStatus",
    "RiskLevelEnum": "readiness.models.RiskLevel",
    "MeetingKindEnum": "readiness.models.MeetingKind",
    "FindingSeverityEnum": "defects.models.FindingSeverity",
    "FindingStatusEnum": "defects.models.FindingStatus",
    "FindingSourceEnum": "defects.models.FindingSource",
    "PerfToolEnum": "defects.models.PerfTool",
    "CycleScopeEnum": "defects.models.CycleScope",
    "ShiftTierEnum": "projects.models.ShiftTier",
    "ChannelKindEnum": "notifications.models.ChannelKind",
    "AlertSeverityEnum": "notifications.models.AlertSeverity",
    "AlertStatusEnum": "notifications.models.AlertStatus",
    "AlertEventKindEnum": "notifications.models.AlertEventKind",
    "IssueSeverityEnum": "tasks.models.IssueSeverity",
    "IssueStatusEnum": "tasks.models.IssueStatus",
    "TimelineEventKindEnum": "tasks.models.EventKind",
    "DrillOutcomeEnum": "tasks.models.DrillOutcome",
    "TriageOutcomeEnum": "hypercare.models.TriageOutcome",  # was the only "outcome" until drills came
})
# Issue 22: online training, complaints, change impact.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "ComplaintStatusEnum": "hypercare.models.ComplaintStatus",
    "ComplaintChannelEnum": "hypercare.models.ComplaintChannel",
    "CourseCompletionEnum": "training.models.Completion",
    "ModuleKindEnum": "training.models.ModuleKind",
    "ImpactLevelEnum": "training.models.ImpactLevel",
})
# Issue 21: environment checklists.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "EnvCategoryEnum": "tasks.models.EnvCategory",
    "EnvCheckStatusEnum": "tasks.models.EnvCheckStatus",
})

# Absolute links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Celery
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 200_000  # KiB
# No countdown or ETA may exceed the visibility timeout; a dead Redis must not hang a web request.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 1, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# --- Production (issue 15): queues, logs, request ids, metrics, protected downloads -------------
# Each instance has its own Celery queue (and control/event exchanges): a worker only ever takes
# the tasks of the instance whose database it was started against.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default=INSTANCE_NAME)
CELERY_CONTROL_EXCHANGE = f"{INSTANCE_NAME}.control"
CELERY_EVENT_EXCHANGE = f"{INSTANCE_NAME}.events"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker logs through LOGGING below (JSON in production)

# Logs: JSON lines in production, plain text for developers; each line has the request id
# (X-Request-ID, also given to the Celery tasks a request queues). Expected 4xx are one line.
from pythonjsonlogger.core import RESERVED_ATTRS as JSON_LOG_RESERVED_ATTRS  # noqa: E402

LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "projects.requestid.RequestIdFilter"},
        "expected_errors": {"()": "projects.requestid.ExpectedErrorsFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                 "reserved_attrs": [*JSON_LOG_RESERVED_ATTRS, "request"]},  # the request object: not JSON
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id", "expected_errors"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.db.backends": {"level": "INFO"},
                # The worker does not install its own handlers (HIJACK off): its lines come through ours.
                "celery": {"level": env.str("LOG_LEVEL", default="INFO")}},
}
MIDDLEWARE.insert(0, "projects.requestid.RequestIdMiddleware")

# Prometheus metrics (django-prometheus): /metrics for ops only (a bearer token or a staff login).
# Under gunicorn set PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py and `make run` do) so every
# worker's figures are summed.
INSTALLED_APPS.append("django_prometheus")
MIDDLEWARE.insert(1, "django_prometheus.middleware.PrometheusBeforeMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
                  "django_prometheus.middleware.PrometheusAfterMiddleware")
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]  # scraped on the internal network

# Member-only downloads (attachments, screenshots, materials): the view checks membership, then
# hands the file to nginx with X-Accel-Redirect when SENDFILE_X_ACCEL is on (deploy/nginx.conf).
SENDFILE_X_ACCEL = env.bool("SENDFILE_X_ACCEL", default=False)
SENDFILE_X_ACCEL_PREFIX = env.str("SENDFILE_X_ACCEL_PREFIX", default="/protected-media/")

# --- end Production (issue 15) -----------------------------------------------------------------

# --- Security hardening (issue 16; README "Security") -----------------------------------------
# How many proxies of ours stand in front of the app (nginx = 1). X-Forwarded-For is believed only
# that far (projects.security.client_ip), for DRF throttles and django-axes alike.
LIFTOFF_TRUSTED_PROXIES = env.int("LIFTOFF_TRUSTED_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = LIFTOFF_TRUSTED_PROXIES
AXES_CLIENT_IP_CALLABLE = "projects.security.client_ip"
AXES_USERNAME_CALLABLE = "projects.security.axes_username"
AXES_LOCKOUT_CALLABLE = "projects.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Failed log-ins per address (any usernames) within AXES_COOLOFF_HOURS before it is refused.
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=30)
# simple-history: the history of every object is evidence; nobody reverts it (projects.admin_base).
SIMPLE_HISTORY_REVERT_DISABLED = True
# Imports (runbook sheets, JUnit, scans): refused over these limits with a message saying so.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5000)
# API tokens (projects.models.ApiToken): expire, rotate, revocable; a password change ends them.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=7 * 24)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    # Token first: its WWW-Authenticate header makes unauthenticated requests a 401, not a 403.
    "projects.authentication.ApiTokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "projects.schema.AutoSchema"  # documents the 4xx answers
# ?project=<id>: the same 404 for a project that does not exist and one the caller cannot see.
REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"] = ["projects.api_base.ProjectFilterBackend",
                                             *REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"][1:]]
# Every answer under /api/ is JSON, whatever the status; bodies over the limit are a 413 there.
MIDDLEWARE.insert(1, "projects.middleware.ApiJsonErrorsMiddleware")
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=DATA_UPLOAD_MAX_MEMORY_SIZE)
