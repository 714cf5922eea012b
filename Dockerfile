FROM python:3.11.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 curl \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric user: Kubernetes' runAsNonRoot can only verify a numeric USER (10001 in
# deploy/k8s). The root filesystem may be read-only: everything written goes to /tmp.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=app:app . .
# collectstatic needs settings but no database and no real secret.
RUN SECRET_KEY=collectstatic-only-not-a-real-secret-0123456789-abcdefghijklmnop \
    STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R app:app /app/staticfiles /app/media

USER 10001:10001
# web (gunicorn), realtime (uvicorn), Celery worker metrics
EXPOSE 8000 8001 9540
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/health/ || exit 1

CMD ["gunicorn", "music_platform.wsgi:application", "-c", "gunicorn.conf.py"]
