"""Optional Spotify Web API client (client-credentials flow) for catalog enrichment.

Used only by ``manage.py spotify_enrich`` and only when SPOTIFY_CLIENT_ID/SECRET are set.
The access token is cached (shared cache) until shortly before it expires; every call has
a timeout; a 429 is retried after the ``Retry-After`` the API asks for, within limits.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

import requests
from django.core.cache import cache

logger = logging.getLogger(__name__)

TOKEN_URL = "https://accounts.spotify.com/api/token"
API_URL = "https://api.spotify.com/v1"
# Refresh the token this long before Spotify says it expires.
TOKEN_MARGIN_SECONDS = 60


class SpotifyError(Exception):
    """The API refused or failed a request in a way retrying now would not fix."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class SpotifyRateLimited(SpotifyError):
    def __init__(self, retry_after: float):
        super().__init__(f"Rate limited by Spotify; retry after {retry_after:.0f} s.", 429)
        self.retry_after = retry_after


class SpotifyClient:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        timeout: tuple[float, float] = (3.05, 10.0),
        max_attempts: int = 4,
        max_wait_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ):
        if not client_id or not client_secret:
            raise SpotifyError("SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET must both be set.")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_wait_seconds = max_wait_seconds
        self.sleep = sleep
        self.session = session or requests.Session()
        digest = hashlib.sha256(client_id.encode()).hexdigest()[:16]
        self.token_cache_key = f"catalog:spotify-token:{digest}"

    # --- token ----------------------------------------------------------------------------

    def access_token(self) -> str:
        token = cache.get(self.token_cache_key)
        if token:
            return token
        response = self._send(
            "POST",
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        payload = response.json()
        token = payload.get("access_token")
        if not token:
            raise SpotifyError("Spotify returned no access token.")
        lifetime = int(payload.get("expires_in", 3600)) - TOKEN_MARGIN_SECONDS
        if lifetime > 0:
            cache.set(self.token_cache_key, token, timeout=lifetime)
        return token

    # --- requests -------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One logical request: waits out 429s (Retry-After) and retries 5xx with backoff."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == self.max_attempts:
                    raise SpotifyError(f"Spotify unreachable: {exc}") from exc
                self.sleep(2 ** (attempt - 1))
                continue
            if response.status_code == 429:
                wait = _retry_after(response)
                if wait > self.max_wait_seconds or attempt == self.max_attempts:
                    raise SpotifyRateLimited(wait)
                logger.info("Spotify rate limit: waiting %.0f s", wait)
                self.sleep(wait)
                continue
            if response.status_code >= 500 and attempt < self.max_attempts:
                self.sleep(2 ** (attempt - 1))
                continue
            if response.status_code >= 400:
                raise SpotifyError(
                    f"Spotify answered {response.status_code} for {url}.", response.status_code
                )
            return response
        raise SpotifyError(f"Spotify did not answer {url} after {self.max_attempts} attempts.")

    def get(self, path: str, params: dict | None = None) -> dict:
        for renewed in (False, True):
            headers = {"Authorization": f"Bearer {self.access_token()}"}
            try:
                return self._send("GET", f"{API_URL}{path}", params=params, headers=headers).json()
            except SpotifyError as exc:
                # An expired or revoked token: fetch a new one once.
                if renewed or exc.status != 401:
                    raise
                cache.delete(self.token_cache_key)
        raise AssertionError("unreachable")

    # --- endpoints ------------------------------------------------------------------------

    def search_track(self, *, title: str, artist: str, isrc: str | None = None) -> dict | None:
        """The best matching track object, or None. An ISRC match is exact."""
        if isrc:
            found = self.get("/search", {"q": f"isrc:{isrc}", "type": "track", "limit": 1})
            items = found.get("tracks", {}).get("items", [])
            if items:
                return items[0]
        query = f'track:"{title}" artist:"{artist}"'
        found = self.get("/search", {"q": query, "type": "track", "limit": 5})
        for item in found.get("tracks", {}).get("items", []):
            names = {_normalise(a.get("name", "")) for a in item.get("artists", [])}
            if (
                _normalise(item.get("name", "")) == _normalise(title)
                and _normalise(artist) in names
            ):
                return item
        return None

    def tracks(self, ids: list[str]) -> list[dict]:
        """Track objects for up to 50 Spotify ids (missing ones are skipped)."""
        found = self.get("/tracks", {"ids": ",".join(ids[:50])})
        return [track for track in found.get("tracks", []) if track]

    def download(self, url: str, *, max_bytes: int) -> bytes:
        """An image (artwork) from Spotify's CDN, refused when larger than ``max_bytes``."""
        response = self._send("GET", url, stream=True)
        body = b""
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > max_bytes:
                raise SpotifyError(f"Artwork at {url} is larger than {max_bytes} bytes.")
        return body


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())
