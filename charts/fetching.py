"""HTTP for chart feeds: one `requests.Session`, timeouts, retries, conditional requests.

Retries cover what is usually temporary (connection errors, timeouts, 5xx, 429) with
exponential backoff, honouring `Retry-After` when the server sends one. ETag and
Last-Modified from the previous pull are sent back so an unchanged feed costs a 304.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

logger = logging.getLogger(__name__)

USER_AGENT = "music_platform-charts/1.0 (+https://github.com/music-platform)"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
MAX_ATTEMPTS = 4
BACKOFF_BASE = 1.0  # seconds: 1, 2, 4, ...
MAX_DELAY = 60.0  # never wait longer than this between attempts, whatever Retry-After says
MAX_FEED_BYTES = 20 * 1024 * 1024
# The whole fetch (every attempt, the waits between them and the body read) ends by then:
# the read timeout alone bounds each socket read, so a server dripping a byte every few
# seconds could otherwise hold a worker for as long as it likes.
TOTAL_DEADLINE = 90.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """The feed could not be fetched. `temporary` says whether trying later may help."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        temporary: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.temporary = temporary
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class FetchResult:
    status: int
    content: bytes = b""
    etag: str = ""
    last_modified: str = ""
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def build_session() -> requests.Session:
    session = requests.Session()
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json, text/csv"})
    return session


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def fetch_feed(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    session: requests.Session | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float = TOTAL_DEADLINE,
) -> FetchResult:
    """GET a feed; a 304 comes back as a result with `not_modified`, failures as FetchError.
    Everything ends within ``deadline`` seconds (a temporary FetchError past it)."""
    session = session or build_session()
    ends_at = time.monotonic() + deadline
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    for attempt in range(1, max_attempts + 1):
        try:
            result = _fetch_once(session, url, headers, ends_at=ends_at)
        except FetchError as error:
            if not error.temporary or attempt == max_attempts:
                if error.temporary:
                    error.args = (f"{error.args[0]} (gave up after {attempt} attempts)",)
                raise
            delay = BACKOFF_BASE * 2 ** (attempt - 1)
            if error.retry_after is not None:
                delay = error.retry_after
            delay = min(MAX_DELAY, delay)
            if time.monotonic() + delay >= ends_at:
                error.args = (f"{error.args[0]} (no time left for another attempt)",)
                raise error
            logger.info("chart feed %s: %s; retrying in %.1fs", url, error, delay)
            sleep(delay)
        else:
            if result.not_modified:
                result = dataclasses.replace(result, etag=etag, last_modified=last_modified)
            return dataclasses.replace(result, attempts=attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _fetch_once(
    session: requests.Session, url: str, headers: dict[str, str], *, ends_at: float
) -> FetchResult:
    left = ends_at - time.monotonic()
    timeout = (min(CONNECT_TIMEOUT, left), min(READ_TIMEOUT, left))
    try:
        with session.get(url, headers=headers, timeout=timeout, stream=True) as response:
            status = response.status_code
            if status in RETRY_STATUSES:
                raise FetchError(
                    f"HTTP {status} from the feed server",
                    status=status,
                    temporary=True,
                    retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                )
            if status >= 400:
                raise FetchError(f"HTTP {status} from the feed server", status=status)
            if status == 304:
                return FetchResult(status=304)
            return FetchResult(
                status=status,
                content=_read_limited(response, ends_at=ends_at),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
    ) as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}", temporary=True) from exc
    except requests.RequestException as exc:  # invalid URL, too many redirects ...
        raise FetchError(f"{type(exc).__name__}: {exc}") from exc


def _cut(response: requests.Response) -> None:
    """Shut the connection's socket down: unlike close(), that wakes a read blocked in
    another thread."""
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    response.close()


def _read_limited(response: requests.Response, *, ends_at: float) -> bytes:
    """The body, at most MAX_FEED_BYTES, read by ``ends_at``: a timer closes the connection
    then, which ends a read blocked on a server that sends a byte now and again."""
    chunks: list[bytes] = []
    size = 0
    watchdog = threading.Timer(max(0.0, ends_at - time.monotonic()), _cut, args=(response,))
    watchdog.daemon = True
    watchdog.start()
    try:
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > MAX_FEED_BYTES:
                raise FetchError(f"the feed is larger than {MAX_FEED_BYTES} bytes")
            chunks.append(chunk)
    except FetchError:
        raise
    except Exception as exc:
        if time.monotonic() >= ends_at:
            raise FetchError(
                "the feed server is too slow (fetch deadline passed)", temporary=True
            ) from exc
        raise
    finally:
        watchdog.cancel()
    if time.monotonic() >= ends_at and not watchdog.is_alive():
        # The timer fired as the last bytes came in: the body may be cut short.
        raise FetchError("the feed server is too slow (fetch deadline passed)", temporary=True)
    return b"".join(chunks)
