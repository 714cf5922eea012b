"""Platform metrics of the web process that django-prometheus does not give (served at /metrics
with its own; the Grafana dashboards in deploy/grafana/ chart them):

- ``mp_analytics_events_ingested_total``: listening events stored by POST
  /api/v1/analytics/events/ (the ``accepted`` of its answers; duplicates are not counted);
- ``mp_stream_responses_total{served_by,status}``: answers of signed stream URLs, by who sends
  the bytes: ``django`` (``make run``), ``nginx`` (an X-Accel-Redirect hand-off) or
  ``storage`` (a redirect to a presigned S3 URL);
- ``mp_stream_bytes_total``: audio bytes Django itself sent for them (ranges counted as sent).
  Bytes Nginx sends after a hand-off are counted where they are read: MinIO's
  ``minio_s3_traffic_sent_bytes`` (compose, k8s) or the ingress.

Counted in a middleware from what the views answered, so no app imports this module. Under
gunicorn every worker process writes to ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py) and
/metrics adds them up.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter

EVENTS_INGESTED = Counter(
    "mp_analytics_events_ingested_total", "Listening events stored by the ingest endpoint"
)
STREAM_RESPONSES = Counter(
    "mp_stream_responses_total",
    "Answers of signed stream URLs, by who sends the bytes",
    ["served_by", "status"],
)
STREAM_BYTES = Counter("mp_stream_bytes_total", "Audio bytes sent by Django for stream URLs")

EVENTS_ROUTE = "analytics-events"
STREAM_ROUTE = "audio-stream-file"


class PlatformMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        route = match.url_name if match is not None else None
        if route == EVENTS_ROUTE:
            self._count_events(request, response)
        elif route == STREAM_ROUTE:
            self._count_stream(request, response)
        return response

    @staticmethod
    def _count_events(request: HttpRequest, response: HttpResponse) -> None:
        if request.method != "POST" or not 200 <= response.status_code < 300:
            return
        data = getattr(response, "data", None)  # DRF's Response keeps what it rendered
        accepted = data.get("accepted") if isinstance(data, dict) else None
        if isinstance(accepted, int) and accepted > 0:
            EVENTS_INGESTED.inc(accepted)

    @staticmethod
    def _count_stream(request: HttpRequest, response: HttpResponse) -> None:
        handed_off = response.has_header("X-Accel-Redirect")
        if handed_off:
            served_by = "nginx"
        elif 300 <= response.status_code < 400:
            served_by = "storage"  # a presigned S3 URL: the client fetches from the bucket
        else:
            served_by = "django"
        STREAM_RESPONSES.labels(served_by=served_by, status=str(response.status_code)).inc()
        if handed_off or request.method != "GET" or response.status_code not in (200, 206):
            return
        length = response.get("Content-Length")
        if length and length.isdigit():
            STREAM_BYTES.inc(int(length))
