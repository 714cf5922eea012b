"""The optional Spotify provider and ``manage.py spotify_enrich`` (HTTP mocked by responses)."""

import io

import pytest
import requests
import responses
from django.core.cache import cache
from django.core.management import CommandError, call_command
from PIL import Image

from catalog.spotify import (
    API_URL,
    TOKEN_URL,
    SpotifyClient,
    SpotifyError,
    SpotifyRateLimited,
)
from catalog.tests.factories import AlbumFactory, ArtistFactory, SongFactory

SEARCH = f"{API_URL}/search"


def token(rsps, expires_in=3600, value="tok-1"):
    rsps.post(
        TOKEN_URL, json={"access_token": value, "token_type": "bearer", "expires_in": expires_in}
    )


def track(spotify_id="sp-track", *, title="Song", artist="Artist", popularity=77, images=()):
    return {
        "id": spotify_id,
        "name": title,
        "popularity": popularity,
        "artists": [{"id": "sp-artist", "name": artist}],
        "album": {"id": "sp-album", "images": list(images)},
    }


def client(**kwargs):
    return SpotifyClient("client-id", "client-secret", **kwargs)


@responses.activate
def test_token_is_cached_until_expiry_and_sent_as_bearer():
    token(responses)
    responses.get(SEARCH, json={"tracks": {"items": []}})

    spotify = client()
    spotify.search_track(title="A", artist="B")
    spotify.search_track(title="C", artist="D")

    token_calls = [c for c in responses.calls if c.request.url == TOKEN_URL]
    assert len(token_calls) == 1
    assert token_calls[0].request.headers["Authorization"].startswith("Basic ")
    assert "grant_type=client_credentials" in token_calls[0].request.body
    assert responses.calls[1].request.headers["Authorization"] == "Bearer tok-1"
    assert cache.ttl(spotify.token_cache_key) <= 3600 - 60


@responses.activate
def test_a_token_that_expires_soon_is_not_cached():
    token(responses, expires_in=30)
    responses.get(SEARCH, json={"tracks": {"items": []}})

    spotify = client()
    spotify.search_track(title="A", artist="B")
    spotify.search_track(title="A", artist="B")

    assert len([c for c in responses.calls if c.request.url == TOKEN_URL]) == 2


@responses.activate
def test_expired_token_is_renewed_once_on_401():
    token(responses, value="old")
    token(responses, value="new")
    responses.get(SEARCH, status=401, json={"error": {"status": 401}})
    responses.get(SEARCH, json={"tracks": {"items": [track(title="A", artist="B")]}})

    found = client().search_track(title="A", artist="B")

    assert found["id"] == "sp-track"
    assert responses.calls[-1].request.headers["Authorization"] == "Bearer new"


@responses.activate
def test_429_waits_for_retry_after_then_succeeds():
    token(responses)
    responses.get(SEARCH, status=429, headers={"Retry-After": "3"})
    responses.get(SEARCH, json={"tracks": {"items": []}})
    waits = []

    assert client(sleep=waits.append).search_track(title="A", artist="B") is None
    assert waits == [3.0]


@responses.activate
def test_429_with_a_long_wait_gives_up():
    token(responses)
    responses.get(SEARCH, status=429, headers={"Retry-After": "3600"})
    waits = []

    with pytest.raises(SpotifyRateLimited) as error:
        client(sleep=waits.append).search_track(title="A", artist="B")

    assert error.value.retry_after == 3600
    assert waits == []


@responses.activate
def test_every_request_has_a_timeout_and_connection_errors_are_retried():
    token(responses)
    responses.get(SEARCH, body=requests.ConnectionError("down"))
    waits = []

    with pytest.raises(SpotifyError, match="unreachable"):
        client(sleep=waits.append, max_attempts=3).search_track(title="A", artist="B")

    assert waits == [1, 2]
    assert all(c.request.req_kwargs["timeout"] == (3.05, 10.0) for c in responses.calls)


@responses.activate
def test_client_errors_are_not_retried():
    token(responses)
    responses.get(SEARCH, status=400, json={"error": "bad"})

    with pytest.raises(SpotifyError) as error:
        client(sleep=lambda s: None).search_track(title="A", artist="B")

    assert error.value.status == 400
    assert len(responses.calls) == 2


def test_missing_credentials_refused():
    with pytest.raises(SpotifyError):
        SpotifyClient("", "secret")


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def spotify_settings(settings):
    settings.SPOTIFY_CLIENT_ID = "client-id"
    settings.SPOTIFY_CLIENT_SECRET = "client-secret"
    return settings


@pytest.mark.django_db
@responses.activate
def test_command_enriches_songs_albums_and_artists(spotify_settings):
    artist = ArtistFactory(name="Artist")
    album = AlbumFactory(artist=artist)
    matched = SongFactory(
        title="Song", artist=artist, album=album, isrc="USAAA0000001", popularity=5
    )
    unmatched = SongFactory(title="Obscure", popularity=1)
    query = f'track:"Obscure" artist:"{unmatched.artist.name}"'
    token(responses)
    image = {"url": "https://i.scdn.co/image/cover", "width": 64, "height": 64}
    responses.get(
        SEARCH,
        match=[
            responses.matchers.query_param_matcher(
                {"q": "isrc:USAAA0000001", "type": "track", "limit": "1"}
            )
        ],
        json={"tracks": {"items": [track(images=[image, {**image, "width": 1000}])]}},
    )
    responses.get(
        SEARCH,
        match=[responses.matchers.query_param_matcher({"q": query, "type": "track", "limit": "5"})],
        json={"tracks": {"items": [track("other", title="Obscure (Live)")]}},
    )
    responses.get("https://i.scdn.co/image/cover", body=png_bytes(), content_type="image/png")
    out = io.StringIO()

    call_command("spotify_enrich", stdout=out)

    assert "matched 1, unmatched 1, artwork 1" in out.getvalue()
    matched.refresh_from_db()
    album.refresh_from_db()
    artist.refresh_from_db()
    assert (matched.spotify_id, matched.popularity) == ("sp-track", 77)
    assert album.spotify_id == "sp-album"
    assert album.cover.name.endswith(".png")
    assert artist.spotify_id == "sp-artist"
    unmatched.refresh_from_db()
    assert unmatched.spotify_id is None


@pytest.mark.django_db
@responses.activate
def test_spotify_id_already_taken_is_left_alone(spotify_settings):
    SongFactory(spotify_id="sp-track", popularity=1)
    song = SongFactory(title="Song", artist=ArtistFactory(name="Artist"), popularity=1)
    token(responses)
    responses.get(SEARCH, json={"tracks": {"items": [track()]}})

    call_command("spotify_enrich", "--no-artwork", "--limit", "1", stdout=io.StringIO())

    song.refresh_from_db()
    assert song.spotify_id is None
    assert song.popularity == 77


@pytest.mark.django_db
@responses.activate
def test_refresh_rereads_popularity_of_linked_songs(spotify_settings):
    song = SongFactory(spotify_id="sp-1", popularity=10)
    token(responses)
    responses.get(
        f"{API_URL}/tracks",
        match=[responses.matchers.query_param_matcher({"ids": "sp-1"})],
        json={"tracks": [track("sp-1", popularity=42), None]},
    )
    out = io.StringIO()

    call_command("spotify_enrich", "--refresh", stdout=out)

    song.refresh_from_db()
    assert song.popularity == 42
    assert "popularity refreshed 1" in out.getvalue()


@pytest.mark.django_db
@responses.activate
def test_command_stops_cleanly_when_rate_limited(spotify_settings):
    SongFactory()
    token(responses)
    responses.get(SEARCH, status=429, headers={"Retry-After": "7200"})

    with pytest.raises(CommandError, match="retry after 7200"):
        call_command("spotify_enrich", stdout=io.StringIO())


@pytest.mark.django_db
def test_command_needs_credentials(settings):
    settings.SPOTIFY_CLIENT_ID = ""

    with pytest.raises(CommandError, match="not configured"):
        call_command("spotify_enrich")
