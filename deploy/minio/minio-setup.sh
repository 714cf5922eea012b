#!/bin/sh
# Run once at start by the compose service minio-setup: the media bucket, idempotently.
# Objects may be read without credentials, which only callers inside the compose network can
# do (MinIO publishes no port): Nginx fetches covers and, after Django's X-Accel-Redirect,
# audio. Writes need the root credentials (Django, the workers).
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing local/media
mc anonymous set download local/media
echo "bucket media ready"
