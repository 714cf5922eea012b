"""Settings for music_platform, read from the environment (django-environ).

Every value has a development default except the production secrets: with DEBUG off,
SECRET_KEY must be set or start-up fails with a clear message.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (50+ random characters),"
            " or DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-development-key-only-used-when-debug-is-on-0123456789"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "common.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # third party
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_celery_beat",
    "django_prometheus",
    "channels",
]
# Our apps, in dependency order (DESIGN.md §1).
LOCAL_APPS = [
    "music_platform",
    "common",
    "users",
    "catalog",
    "charts",
    "analytics",
    "recommendations",
    "realtime",
]
INSTALLED_APPS += LOCAL_APPS

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "music_platform.db_router.PrimaryPinMiddleware",
    "common.middleware.QueryStringLimitMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "music_platform.metrics.PlatformMetricsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "music_platform.urls"
WSGI_APPLICATION = "music_platform.wsgi.application"
AUTH_USER_MODEL = "users.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/music_platform")
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL's JIT adds ~50 ms to the analytics reads (one CTE each, high estimated cost,
# a few ms to run); this is a web workload of short statements, so it is off.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# A streaming replica for analytics and chart reads (music_platform.db_router); unset: none.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"options": "-c jit=off"},
        # Test runs read and write one test database through both aliases.
        "TEST": {"MIRROR": "default"},
    }
# Django's PostgreSQL backend with a health check that needs no round trip (Django's sends
# a SELECT 1 before each request's first query): music_platform/postgresql/base.py.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["ENGINE"] = "music_platform.postgresql"
DATABASE_ROUTERS = ["music_platform.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "PARSER_CLASS": "redis.connection._HiredisParser",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            # A Redis outage degrades to cache misses instead of 500s.
            "IGNORE_EXCEPTIONS": True,
        },
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="mp"),
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Rate limits live in Redis; when Redis is down they fail open (requests are allowed).
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# RATELIMIT_IP_META_KEY (e.g. X-Real-IP) is believed only from these peers (addresses or
# networks); anyone else reaching gunicorn directly is limited by its own REMOTE_ADDR.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
try:
    [ipaddress.ip_network(entry, strict=False) for entry in TRUSTED_PROXIES]
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc} (addresses or networks)") from exc
# Password logins (API and admin): a per-IP ceiling over every attempt, and per account a
# lockout after LOGIN_LOCKOUT_FAILURES failures that doubles each time (base .. max seconds)
# and is forgotten after a correct login, a password reset or LOGIN_LOCKOUT_MEMORY seconds.
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="60/m")
LOGIN_LOCKOUT_FAILURES = env.int("LOGIN_LOCKOUT_FAILURES", default=5)
LOGIN_LOCKOUT_BASE = env.int("LOGIN_LOCKOUT_BASE", default=60)
LOGIN_LOCKOUT_MAX = env.int("LOGIN_LOCKOUT_MAX", default=15 * 60)
LOGIN_LOCKOUT_MEMORY = env.int("LOGIN_LOCKOUT_MEMORY", default=24 * 3600)
AUTHENTICATION_BACKENDS = ["users.backends.LockoutModelBackend"]

# Argon2id for new hashes (OWASP parameters, users/hashers.py); PBKDF2 hashes still verify
# and are rehashed at the next login.
PASSWORD_HASHERS = [
    "users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# Password reset and e-mail confirmation links expire after this many seconds.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
EMAIL_CONFIRM_TIMEOUT = env.int("EMAIL_CONFIRM_TIMEOUT", default=3 * 24 * 3600)
# Where the links in account e-mails point (the client app's pages, which call the API).
ACCOUNT_LINK_BASE_URL = env.str("ACCOUNT_LINK_BASE_URL", default="http://localhost:8000")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _media_backend = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),
            # "http:" for a custom domain served without TLS (the local compose stack).
            "url_protocol": env.str("AWS_S3_URL_PROTOCOL", default="https:"),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
        },
    }
else:
    _media_backend = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_backend,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Request bodies: JSON bodies above this are refused with 413 by the API parser.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
API_MAX_JSON_BODY = env.int("API_MAX_JSON_BODY", default=1024 * 1024)
# Longer query strings are a JSON 414 (gunicorn's own limit, 8190 bytes a line, is above it).
API_MAX_QUERY_STRING = env.int("API_MAX_QUERY_STRING", default=4096)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="music_platform <noreply@localhost>")

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# --- Security (production) -------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes and Prometheus call pods over plain HTTP inside the cluster (metrics need a token).
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- REST framework --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.BlockAwareJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # JSON only (DESIGN.md §3): the schema then promises no form bodies the API would treat
    # differently. Uploads (audio, covers) declare MultiPartParser on their own views.
    "DEFAULT_PARSER_CLASSES": ["common.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["common.renderers.ORJSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PAGINATION_CLASS": "common.pagination.DefaultPagination",
    "DEFAULT_METADATA_CLASS": "common.metadata.SafeMetadata",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "common.schema.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "common.handler.ProjectExceptionHandler",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    # Tokens carry a digest of the password hash they were issued under, checked on every
    # request: a password change or reset (API, admin or shell) ends every access token at
    # once instead of up to ACCESS_TOKEN_LIFETIME later. A deleted account's tokens fail the
    # user lookup; a blocked one's fail users.authentication.
    "CHECK_REVOKE_TOKEN": True,
}

_ENUMS = "drf_standardized_errors.openapi_serializers"
SPECTACULAR_SETTINGS = {
    "TITLE": "music_platform API",
    "DESCRIPTION": "Catalog, playlists, charts, listening analytics and recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs map every endpoint: public in development, staff-only in
    # production unless API_DOCS_PUBLIC=1.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny"
        if env.bool("API_DOCS_PUBLIC", default=DEBUG)
        else "rest_framework.permissions.IsAdminUser"
    ],
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": f"{_ENUMS}.ValidationErrorEnum.choices",
        "ClientErrorEnum": f"{_ENUMS}.ClientErrorEnum.choices",
        "ServerErrorEnum": f"{_ENUMS}.ServerErrorEnum.choices",
        "ErrorCode401Enum": f"{_ENUMS}.ErrorCode401Enum.choices",
        "ErrorCode403Enum": f"{_ENUMS}.ErrorCode403Enum.choices",
        "ErrorCode404Enum": f"{_ENUMS}.ErrorCode404Enum.choices",
        "ErrorCode405Enum": f"{_ENUMS}.ErrorCode405Enum.choices",
        "ErrorCode406Enum": f"{_ENUMS}.ErrorCode406Enum.choices",
        "ErrorCode415Enum": f"{_ENUMS}.ErrorCode415Enum.choices",
        "ErrorCode429Enum": f"{_ENUMS}.ErrorCode429Enum.choices",
        "ErrorCode500Enum": f"{_ENUMS}.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
    ],
}

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TASK_ACKS_LATE = False  # opted into per task, only where the task is idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queue names get a suffix in tests (one set of queues per xdist worker on a shared broker).
CELERY_QUEUE_SUFFIX = env.str("CELERY_QUEUE_SUFFIX", default="")
CELERY_TASK_DEFAULT_QUEUE = "default" + CELERY_QUEUE_SUFFIX
# The one routing table: heavy work (model builds, rollups) and media processing get their
# own queues and workers, so a 55-minute build never delays an export e-mail.
CELERY_TASK_ROUTES = {
    name: {"queue": queue + CELERY_QUEUE_SUFFIX}
    for name, queue in {
        "recommendations.build_model": "heavy",
        "recommendations.refresh_active_users": "heavy",
        "recommendations.refresh_users": "heavy",
        "analytics.rollup": "heavy",
        "music_platform.compute_platform_charts": "heavy",
        "catalog.audio_process": "media",
        # Feed pulls wait on other people's servers: a slow one never holds the default queue.
        "charts.pull": "feeds",
    }.items()
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With a Redis broker (``make run``), a task a worker took but never acknowledged (acks_late,
# worker killed) goes back to the queue only after ``visibility_timeout``; so does a message
# waiting for its ETA (a retry's countdown). It must therefore exceed the longest time limit
# of an acks_late task (recommendations.build_model, 55 min) and the longest retry backoff
# (charts.pull, up to 60 min), or a slow task or a waiting retry runs twice;
# music_platform/tests/test_faults.py checks this against every registered task, and shows a
# SIGKILLed worker's task redelivered. RabbitMQ (compose, k8s) redelivers at once when the
# worker's connection drops, whatever this says.
REDIS_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=65 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": REDIS_BROKER_VISIBILITY_TIMEOUT,
    # Workers look for such messages every 10 s (kombu's unacked_restore_interval); kombu
    # 5.7 scans only every 10th look by default, which added up to 100 s on top.
    "unacked_restore_throttle": 1,
}
# A request that enqueues gives up on an unreachable broker after this many seconds (503).
CELERY_ENQUEUE_TIMEOUT = env.float("CELERY_ENQUEUE_TIMEOUT", default=1.0)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django_redis": {"level": "WARNING"}},
}

# /metrics: with a token, Prometheus sends it as a Bearer token; without, loopback only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Optional third-party provider (catalog: manage.py spotify_enrich); unused when empty.
SPOTIFY_CLIENT_ID = env.str("SPOTIFY_CLIENT_ID", default="")
SPOTIFY_CLIENT_SECRET = env.str("SPOTIFY_CLIENT_SECRET", default="")

# Real public datasets (chart feeds, chart CSVs, listening data, track metadata) used by the
# real-data tests, the benchmarks and the demo. The one place that knows where they live;
# everything runs without them (tests marked `realdata` skip, the demo builds its own).
MUSIC_DATA_DIR = env.path("MUSIC_DATA_DIR", default=BASE_DIR.parent / "shared" / "data")

# Charts seeded by `setup_schedules` when set: "slug|name|source|country|kind|feed_url;..."
CHART_FEEDS = env.str("CHART_FEEDS", default="")

# --- Audio (issue 16) --------------------------------------------------------------------
# Uploads above AUDIO_MAX_BYTES are refused with 413 while they stream in; longer than
# AUDIO_MAX_SECONDS (or shorter than one second) is a 400.
AUDIO_MAX_BYTES = env.int("AUDIO_MAX_BYTES", default=200 * 1024 * 1024)
AUDIO_MAX_SECONDS = env.int("AUDIO_MAX_SECONDS", default=30 * 60)
# Signed stream URLs expire after this many seconds.
STREAM_URL_TTL = env.int("STREAM_URL_TTL", default=3600)
# Behind Nginx (compose, k8s) Django answers a stream with X-Accel-Redirect to this internal
# location and Nginx sends the bytes (Range included); `make run` streams from Django.
AUDIO_X_ACCEL_REDIRECT = env.bool("AUDIO_X_ACCEL_REDIRECT", default=False)
AUDIO_X_ACCEL_PREFIX = env.str("AUDIO_X_ACCEL_PREFIX", default="/protected/media/")
# Processes (cores) one processing task uses: its encoders are split between them.
AUDIO_ENCODER_PROCESSES = env.int("AUDIO_ENCODER_PROCESSES", default=2)

# --- Realtime (issue 13) -----------------------------------------------------------------
# The `realtime` process (ASGI, WebSockets only at /ws/v1/) and the channel layer every
# process publishes to (common.realtime). Redis pub/sub: a group message is published once and
# each realtime process fans it out to its own sockets (no per-socket copies in Redis, and no
# group membership expiry to drop long-lived sockets). Pub/sub ignores the database number,
# so CHANNEL_LAYER_PREFIX keeps deployments (and test runs) sharing a Redis apart.
ASGI_APPLICATION = "music_platform.asgi.application"
CHANNEL_LAYER_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="mp")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_LAYER_PREFIX},
    }
}
# A write's publish waits at most this long for Redis, then drops the event (logged).
REALTIME_PUBLISH_TIMEOUT = env.float("REALTIME_PUBLISH_TIMEOUT", default=0.25)
# Per socket: subscriptions, client message size (bytes), client messages (a token bucket of
# BURST messages refilled at RATE per second), seconds without a client message before it is
# closed (clients send {"action": "ping"} meanwhile). Per user (per address when anonymous):
# open sockets.
REALTIME_MAX_SUBSCRIPTIONS = env.int("REALTIME_MAX_SUBSCRIPTIONS", default=50)
REALTIME_MAX_MESSAGE_BYTES = env.int("REALTIME_MAX_MESSAGE_BYTES", default=4096)
REALTIME_RATE_BURST = env.int("REALTIME_RATE_BURST", default=30)
REALTIME_RATE_PER_SECOND = env.float("REALTIME_RATE_PER_SECOND", default=5.0)
REALTIME_IDLE_TIMEOUT = env.int("REALTIME_IDLE_TIMEOUT", default=120)
REALTIME_MAX_SOCKETS_PER_USER = env.int("REALTIME_MAX_SOCKETS_PER_USER", default=10)
REALTIME_MAX_ANONYMOUS_SOCKETS_PER_IP = env.int("REALTIME_MAX_ANONYMOUS_SOCKETS_PER_IP", default=50)
# Open sockets re-read their account this often (a block closes them even if its event was
# lost); analytics:live is sent this often to its subscribers.
REALTIME_ACCOUNT_RECHECK_SECONDS = env.float("REALTIME_ACCOUNT_RECHECK_SECONDS", default=10.0)
REALTIME_ANALYTICS_INTERVAL = env.float("REALTIME_ANALYTICS_INTERVAL", default=5.0)
