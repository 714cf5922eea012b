"""Django's PostgreSQL backend, with a health check that costs no round trip.

``CONN_HEALTH_CHECKS`` makes Django check a persistent connection before the first query of
each request, so a connection the server closed (a restart, a failover, an idle timeout,
``pg_terminate_backend``) is replaced instead of failing that request. Django checks with a
``SELECT 1``: one round trip to the server on every request that touches the database,
about 140 us here, as much as the query that authenticates a listener.

This backend checks without asking the server: a connection the server closed has its
socket readable (the server's termination notice, then the end of the stream), while an
idle, open connection has nothing to read (this project uses no LISTEN/NOTIFY, the only
other thing a server sends unasked). So: the socket is polled without waiting, and a
connection that is closed, broken, not idle, or has anything to read is replaced (when in
doubt, it is replaced: a reconnect costs a few ms, a failed request more). What neither
check sees in time is a peer that vanished without closing (a cut network): Django's
``SELECT 1`` would block on that until TCP gives up, and the first query does the same here.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
            or self.pool
        ):
            return super().close_if_health_check_failed()
        if not self.is_open_and_idle():
            self.close()
        self.health_check_done = True

    def is_open_and_idle(self) -> bool:
        """Whether the connection is open, outside a transaction and has nothing pending
        from the server (no round trip)."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()
        try:
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False
