"""Test settings: the real settings plus isolation from `make run` and between xdist workers.

Tests never share state with a development server: they use their own Redis database
(``TEST_REDIS_DB``, default 1; `make run` uses 0) and, under ``pytest -n``, each xdist worker
gets its own Redis database number, cache key prefix and Celery queue names. pytest-django
already gives each worker its own PostgreSQL database (``test_<name>_gw<n>``).

The choices are written to the environment before the real settings load, so processes the
tests start (gunicorn, a Celery worker, ``manage.py``) inherit the same isolation.
"""

import os

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_worker_index = int(XDIST_WORKER[2:]) if XDIST_WORKER.startswith("gw") else 0
_redis_db = int(os.environ.get("TEST_REDIS_DB", "1")) + _worker_index
if not 1 <= _redis_db <= 15:
    raise RuntimeError(
        f"Tests need a Redis database in 1-15 (0 is `make run`'s); TEST_REDIS_DB plus the"
        f" xdist worker index is {_redis_db}. Lower TEST_REDIS_DB or run fewer workers."
    )
_redis_base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
_worker_tag = f"test-{XDIST_WORKER or 'main'}"
os.environ["REDIS_URL"] = f"{_redis_base}/{_redis_db}"
os.environ["CACHE_KEY_PREFIX"] = _worker_tag
# Queue names carry the Redis database too: two runs side by side (different TEST_REDIS_DB)
# on one RabbitMQ never take each other's tasks.
os.environ["CELERY_QUEUE_SUFFIX"] = f"-{_worker_tag}-db{_redis_db}"
# Redis pub/sub ignores the database number: the channel layer needs its own prefix per run.
os.environ["CHANNEL_LAYER_PREFIX"] = f"mp-{_worker_tag}-db{_redis_db}"
if "TEST_CELERY_BROKER_URL" in os.environ:  # e.g. RabbitMQ in CI
    os.environ["CELERY_BROKER_URL"] = os.environ["TEST_CELERY_BROKER_URL"]
else:
    os.environ.pop("CELERY_BROKER_URL", None)
os.environ.pop("CELERY_RESULT_BACKEND", None)
os.environ.setdefault("API_DOCS_PUBLIC", "1")  # the schema tests and the fuzzing read it
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-never-used-outside-the-test-suite-01")

from music_platform.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if "EMAIL_URL" not in os.environ:  # a worker started by a test may be given a real server
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
# Test databases are thrown away: a commit need not wait for its WAL record to reach the disk
# (transactional tests commit, and empty their tables after each test). Crash safety of the
# database is unchanged (PostgreSQL's synchronous_commit=off loses at most the last commits).
DATABASES["default"]["OPTIONS"]["options"] = (  # noqa: F405
    DATABASES["default"]["OPTIONS"].get("options", "") + " -c synchronous_commit=off"  # noqa: F405
).strip()
