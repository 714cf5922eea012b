"""Prometheus metrics of the realtime process (served at its own /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

OPEN_SOCKETS = Gauge("realtime_open_sockets", "WebSockets open now", ["auth"])
MESSAGES_SENT = Counter("realtime_messages_sent_total", "Messages sent to clients", ["type"])
CLIENT_MESSAGES = Counter(
    "realtime_client_messages_total", "Messages received from clients", ["result"]
)
CLOSES = Counter("realtime_closes_total", "Sockets closed by the server", ["code"])
FANOUT_LATENCY = Histogram(
    "realtime_fanout_latency_seconds",
    "From the publish (after the write's commit) to the send on a socket",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
