"""Fast, cacheable catalog reads (issue 12): lean rendering, the shared response cache and its
invalidation by every write path, conditional requests, ``?ids=`` batches and ``liked``."""

from __future__ import annotations

import datetime
import decimal
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework import serializers as drf_serializers
from rest_framework.renderers import JSONRenderer

from catalog import selectors, services
from catalog.admin import AlbumAdmin
from catalog.audio.services import song_audio_fail
from catalog.filters import IDS_PATTERN, MAX_BATCH_IDS
from catalog.models import Album, AudioStatus, Song, SongAudio
from catalog.serializers import AlbumDetailSerializer, AlbumSerializer, SongSerializer
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import (
    AlbumFactory,
    AlbumLikeFactory,
    ArtistFactory,
    GenreFactory,
    SongFactory,
)
from common.cache import bump_generations, generations
from common.renderers import ORJSONRenderer
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CACHED_URLS = [
    "/api/v1/songs/",
    "/api/v1/songs/?limit=5&search=song",
    "/api/v1/songs/{song}/",
    "/api/v1/albums/",
    "/api/v1/albums/{album}/",
    "/api/v1/artists/",
    "/api/v1/artists/{artist}/",
]


def url(template: str, content) -> str:
    return template.format(
        song=content.public_song.pk,
        album=content.public_album.pk,
        artist=content.public_song.artist_id,
    )


def body_of(response) -> dict:
    return json.loads(response.content)


def titles(response) -> list[str]:
    return [row["title"] for row in body_of(response)["results"]]


# --- lean rendering gives exactly what the declared fields give ----------------------------


class _Generic:
    """DRF's own field-by-field rendering of the declared fields (what the schema describes)."""

    @staticmethod
    def render(serializer_class, instance, **context):
        serializer = serializer_class(instance, context=context)
        return drf_serializers.ModelSerializer.to_representation(serializer, instance)


def test_lean_song_rendering_equals_the_declared_fields(content):
    genre = GenreFactory(slug="lean")
    loose = SongFactory(album=None, genre=None, isrc=None, danceability=None)
    full = SongFactory(album=content.public_album, genre=genre, track_number=4)
    for song in selectors.song_list(user=None).filter(pk__in=[loose.pk, full.pk]):
        lean = SongSerializer(song).to_representation(song)
        assert lean == _Generic.render(SongSerializer, song)


def test_lean_album_rendering_equals_the_declared_fields(content, cast):
    album = content.public_album
    Album.objects.filter(pk=album.pk).update(release_date=datetime.date(2020, 2, 29))
    AlbumFactory(genre=None)
    AlbumLikeFactory(user=cast.listener, album=album)
    for user in (None, cast.listener):
        for row in selectors.album_detail_queryset(user=user):
            for serializer_class in (AlbumSerializer, AlbumDetailSerializer):
                lean = serializer_class(row).to_representation(row)
                assert lean == _Generic.render(serializer_class, row)
    liked = selectors.album_list(user=cast.listener).get(pk=album.pk)
    assert AlbumSerializer(liked).data["liked"] is True


def test_orjson_renderer_writes_what_drf_writes():
    data = {
        "at": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 1, 2),
        "time": datetime.time(3, 4, 5, 120000),
        "amount": decimal.Decimal("1.50"),
        "text": "Beyoncé \u2014 ok",
        "nested": [{"x": None, "y": True, "z": 1.5}],
        "error": drf_serializers.ErrorDetail("bad", code="invalid"),
    }
    assert json.loads(ORJSONRenderer().render(data)) == json.loads(JSONRenderer().render(data))
    assert ORJSONRenderer().render(None) == b""


# --- the shared cache ------------------------------------------------------------------------


@pytest.mark.parametrize("template", CACHED_URLS)
def test_a_second_anonymous_read_is_served_from_redis(
    content, client_for, template, django_assert_num_queries
):
    client = client_for(None)
    first = client.get(url(template, content))
    assert first.status_code == 200 and first["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(url(template, content))
    assert second.status_code == 200 and second["X-Cache"] == "hit"
    assert second.content == first.content
    assert second["ETag"] == first["ETag"] and second["ETag"].startswith('W/"')
    assert second["Cache-Control"] == first["Cache-Control"] == "public, max-age=60"
    assert "Authorization" in second["Vary"]


def test_listeners_share_the_anonymous_song_pages_but_get_private_headers(
    content, cast, client_for
):
    path = f"/api/v1/songs/{content.public_song.pk}/"
    anonymous = client_for(None).get(path)
    listener = client_for(cast.listener).get(path)
    assert listener["X-Cache"] == "hit" and listener.content == anonymous.content
    assert listener["Cache-Control"] == "private, no-cache"
    assert "Authorization" in listener["Vary"]


@pytest.mark.parametrize("role", ["owner", "editor", "admin"])
def test_insiders_are_never_served_the_shared_response(content, cast, client_for, role):
    client_for(None).get("/api/v1/songs/")  # the public page is cached
    client = client_for(cast.by_role(role))
    for _ in range(2):
        response = client.get("/api/v1/songs/")
        assert "X-Cache" not in response
        assert "Hidden Song" in titles(response)
        assert response["Cache-Control"] == "private, no-cache"


def test_album_pages_are_per_listener(content, cast, client_for):
    other = UserFactory(username="other-listener")
    AlbumLikeFactory(user=cast.listener, album=content.public_album)
    path = f"/api/v1/albums/{content.public_album.pk}/"
    assert body_of(client_for(None).get(path))["liked"] is False
    assert body_of(client_for(cast.listener).get(path))["liked"] is True
    assert body_of(client_for(other).get(path))["liked"] is False
    hit = client_for(cast.listener).get(path)
    assert hit["X-Cache"] == "hit" and body_of(hit)["liked"] is True


def test_liking_and_unliking_show_at_once(content, cast, client_for):
    client = client_for(cast.listener)
    list_path, detail_path = "/api/v1/albums/", f"/api/v1/albums/{content.public_album.pk}/"
    assert body_of(client.get(detail_path))["liked"] is False
    assert [a["liked"] for a in body_of(client.get(list_path))["results"]] == [False]
    assert client.post(f"{detail_path}like/").status_code == 200
    assert body_of(client.get(detail_path))["liked"] is True
    assert [a["liked"] for a in body_of(client.get(list_path))["results"]] == [True]
    assert client.delete(f"{detail_path}like/").status_code == 200
    assert body_of(client.get(detail_path))["liked"] is False


def test_liked_costs_no_query_per_album(cast, client_for, django_assert_num_queries):
    client = client_for(cast.listener)
    AlbumLikeFactory(user=cast.listener, album=AlbumFactory())

    def count_queries(n_albums: int) -> int:
        cache.clear()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/albums/?limit=100")
        assert response.status_code == 200 and body_of(response)["count"] == n_albums
        return len(captured)

    one = count_queries(1)
    for _ in range(30):
        AlbumLikeFactory(user=cast.listener, album=AlbumFactory())
    assert count_queries(31) == one


# --- invalidation: every write path, no stale read after it ----------------------------------


def _cached_public_songs(client) -> list[str]:
    first = client.get("/api/v1/songs/")
    assert client.get("/api/v1/songs/")["X-Cache"] == "hit"
    return titles(first)


def test_a_song_update_through_the_api_shows_at_once(content, cast, client_for):
    anonymous = client_for(None)
    assert "Public Song" in _cached_public_songs(anonymous)
    response = client_for(cast.owner).patch(
        f"/api/v1/songs/{content.public_song.pk}/", {"title": "Renamed Song"}, format="json"
    )
    assert response.status_code == 200
    assert "Renamed Song" in titles(anonymous.get("/api/v1/songs/"))
    detail = body_of(anonymous.get(f"/api/v1/songs/{content.public_song.pk}/"))
    assert detail["title"] == "Renamed Song"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: Song.objects.get(pk=c.public_song.pk), id="song"),
        pytest.param(lambda c: Album.objects.get(pk=c.public_album.pk), id="album"),
    ],
)
def test_hiding_takes_the_song_out_of_cached_pages_at_once(content, cast, client_for, change):
    anonymous = client_for(None)
    detail = f"/api/v1/songs/{content.public_song.pk}/"
    assert "Public Song" in _cached_public_songs(anonymous)
    assert anonymous.get(detail).status_code == 200
    target = change(content)
    target.is_visible = False
    target.save(update_fields=["is_visible"])
    assert "Public Song" not in titles(anonymous.get("/api/v1/songs/"))
    assert anonymous.get(detail).status_code == 404
    target.is_visible = True
    target.save(update_fields=["is_visible"])
    assert "Public Song" in titles(anonymous.get("/api/v1/songs/"))


def test_making_an_album_private_through_the_api_hides_its_songs(content, cast, client_for):
    anonymous = client_for(None)
    assert "Public Song" in _cached_public_songs(anonymous)
    assert len(body_of(anonymous.get("/api/v1/albums/"))["results"]) == 1
    response = client_for(cast.owner).patch(
        f"/api/v1/albums/{content.public_album.pk}/", {"is_public": False}, format="json"
    )
    assert response.status_code == 200
    assert "Public Song" not in titles(anonymous.get("/api/v1/songs/"))
    assert body_of(anonymous.get("/api/v1/albums/"))["results"] == []


def test_the_admin_bulk_visibility_action_invalidates(content, rf, cast, client_for):
    anonymous = client_for(None)
    assert "Public Song" in _cached_public_songs(anonymous)
    admin = AlbumAdmin(Album, None)
    admin.message_user = lambda *args, **kwargs: None
    admin.hide(rf.post("/"), Album.objects.filter(pk=content.public_album.pk))
    assert "Public Song" not in titles(anonymous.get("/api/v1/songs/"))


def test_renaming_an_artist_and_changing_its_genres_show_in_cached_pages(content, cast, client_for):
    anonymous = client_for(None)
    artist = content.public_song.artist
    path = f"/api/v1/artists/{artist.pk}/"
    assert body_of(anonymous.get(path))["genres"] == []
    assert anonymous.get(path)["X-Cache"] == "hit"
    artist.genres.add(GenreFactory(slug="added"))
    assert body_of(anonymous.get(path))["genres"] == ["added"]
    services.artist_update(user=cast.admin, artist=artist, data={"name": "Renamed Artist"})
    song = body_of(anonymous.get(f"/api/v1/songs/{content.public_song.pk}/"))
    assert song["artist"]["name"] == "Renamed Artist"


def test_a_new_song_and_a_deleted_one_show_at_once(content, cast, client_for):
    anonymous = client_for(None)
    before = _cached_public_songs(anonymous)
    SongFactory(title="Brand New", artist=ArtistFactory())
    assert titles(anonymous.get("/api/v1/songs/")) == sorted([*before, "Brand New"])
    content.public_song.delete()
    assert "Public Song" not in titles(anonymous.get("/api/v1/songs/"))


def test_the_bulk_track_import_invalidates(content, client_for, tmp_path):
    anonymous = client_for(None)
    before = _cached_public_songs(anonymous)
    csv = tmp_path / "tracks.csv"
    csv.write_text(
        "track_id,track_name,track_artist,track_popularity,track_album_id,track_album_name,"
        "track_album_release_date,playlist_genre,duration_ms\n"
        "7imported0000000000001,Imported Tune,Import Band,50,1albumimport0000000001,"
        "Imported LP,2019-05-01,pop,200000\n"
    )
    try:
        call_command("import_tracks", str(csv), stdout=open("/dev/null", "w"))  # noqa: SIM115
    except Exception as exc:  # the header set differs: show the importer's own message
        pytest.fail(f"import_tracks refused the invented fixture: {exc}")
    imported = Song.objects.get(title="Imported Tune")
    assert selectors.song_is_visible_to(user=None, song=imported)
    response = anonymous.get("/api/v1/songs/")
    assert titles(response) == sorted([*before, "Imported Tune"]), response["X-Cache"]


def test_audio_status_changes_show_in_cached_song_pages(content, cast, client_for, ready):
    anonymous = client_for(None)
    path = f"/api/v1/songs/{content.public_song.pk}/"
    assert body_of(anonymous.get(path))["audio"]["status"] == AudioStatus.NONE
    assert anonymous.get(path)["X-Cache"] == "hit"
    ready(content.public_song)  # a real upload processed by the real pipeline
    audio = body_of(anonymous.get(path))["audio"]
    assert audio["status"] == AudioStatus.READY and audio["streams"]["hls"]
    generation = SongAudio.objects.get(song=content.public_song).generation
    song_audio_fail(song_id=content.public_song.pk, generation=generation, reason="test")
    assert body_of(anonymous.get(path))["audio"]["status"] == AudioStatus.FAILED


@pytest.fixture
def ready(django_capture_on_commit_callbacks):
    def make(song):
        return af.give_audio(
            song, af.audio_file("wav", 2.0), capture=django_capture_on_commit_callbacks
        )

    return make


def test_the_bump_after_commit_is_what_counts(db, django_capture_on_commit_callbacks):
    before = generations(["after-commit"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bump_generations("after-commit")
        bump_generations("after-commit")  # once at once, once after commit per transaction
    at_once = generations(["after-commit"])
    assert at_once[0] == before[0] + 1  # one immediate bump (common/tests/test_cache.py)
    assert len(callbacks) == 1
    callbacks[0]()
    assert generations(["after-commit"])[0] == at_once[0] + 1


def test_a_missing_generation_never_restarts_at_an_old_value():
    first = generations(["fresh"])
    cache.delete("gen:fresh")  # evicted
    assert generations(["fresh"])[0] > first[0]


# --- Redis down: uncached, not errors --------------------------------------------------------


def test_redis_down_means_uncached_reads(content, cast, client_for, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    anonymous = client_for(None)
    for template in CACHED_URLS:
        for _ in range(2):
            response = anonymous.get(url(template, content))
            assert response.status_code == 200
            assert "X-Cache" not in response and response["ETag"].startswith('W/"')
    # Writes still work (their bumps go nowhere) and the next read is fresh.
    response = client_for(cast.owner).patch(
        f"/api/v1/songs/{content.public_song.pk}/", {"title": "Offline Edit"}, format="json"
    )
    assert response.status_code == 200
    assert "Offline Edit" in titles(anonymous.get("/api/v1/songs/"))


# --- conditional requests --------------------------------------------------------------------


@pytest.mark.parametrize("template", CACHED_URLS)
@pytest.mark.parametrize("who", ["anonymous", "listener", "editor"])
def test_if_none_match_gives_304_without_a_body(content, cast, client_for, template, who):
    client = client_for(cast.by_role(who))
    path = url(template, content)
    first = client.get(path)
    etag = first["ETag"]
    for header in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        response = client.get(path, HTTP_IF_NONE_MATCH=header)
        assert response.status_code == 304 and response.content == b""
        assert response["ETag"] == etag and "Authorization" in response["Vary"]
        assert response["Cache-Control"] == first["Cache-Control"]
    assert client.get(path, HTTP_IF_NONE_MATCH='W/"stale"').status_code == 200


def test_the_etag_changes_when_the_content_does(content, cast, client_for):
    anonymous = client_for(None)
    path = f"/api/v1/songs/{content.public_song.pk}/"
    etag = anonymous.get(path)["ETag"]
    services.song_update(user=cast.admin, song=content.public_song, data={"title": "New"})
    response = anonymous.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_errors_and_writes_carry_no_etag_and_are_not_cached(content, cast, client_for):
    anonymous = client_for(None)
    for _ in range(2):
        response = anonymous.get("/api/v1/songs/?bogus=1")
        assert response.status_code == 400 and "ETag" not in response
        assert "X-Cache" not in response
    response = client_for(cast.owner).patch(
        f"/api/v1/songs/{content.public_song.pk}/", {"title": "X"}, format="json"
    )
    assert response.status_code == 200 and "ETag" not in response


# --- GET /songs/?ids= ------------------------------------------------------------------------


def test_ids_keeps_the_order_asked_and_leaves_out_hidden_songs(content, client_for):
    c = content
    ids = [c.hidden_song.pk, c.public_song.pk, c.song_in_private_album.pk]
    extra = SongFactory(title="Another")
    asked = ",".join(map(str, [extra.pk, *ids, extra.pk]))
    response = client_for(None).get(f"/api/v1/songs/?ids={asked}")
    assert response.status_code == 200
    assert [s["id"] for s in body_of(response)["results"]] == [extra.pk, c.public_song.pk]
    assert body_of(response)["count"] == 2


def test_ids_for_insiders_include_what_they_may_see(content, cast, client_for):
    c = content
    asked = f"{c.song_in_private_album.pk},{c.public_song.pk},{c.hidden_song.pk}"
    response = client_for(cast.editor).get(f"/api/v1/songs/?ids={asked}")
    ids = [s["id"] for s in body_of(response)["results"]]
    assert ids == [c.song_in_private_album.pk, c.public_song.pk, c.hidden_song.pk]


@pytest.mark.parametrize(
    "value",
    ["abc", "1,,2", "1,-2", "0", "01", " 1", "1,", "1.5", "1;2", "9999999999999999999", "١"]
    + [",".join(str(i) for i in range(1, MAX_BATCH_IDS + 2))],
)
def test_bad_ids_are_a_400_naming_the_parameter(client_for, value, db):
    response = client_for(None).get("/api/v1/songs/", {"ids": value})
    assert response.status_code == 400
    assert body_of(response) == {
        "type": "validation_error",
        "errors": [
            {
                "code": "invalid",
                "detail": f"Give 1 to {MAX_BATCH_IDS} ids: whole numbers separated by commas.",
                "attr": "ids",
            }
        ],
    }


def test_the_schema_documents_ids_conditional_requests_and_304(client_for, db):
    schema = client_for(None).get("/api/schema/?format=json").json()
    songs = schema["paths"]["/api/v1/songs/"]["get"]
    ids = next(p for p in songs["parameters"] if p["name"] == "ids")
    assert ids["schema"]["pattern"] == IDS_PATTERN
    for path in ["/api/v1/songs/", "/api/v1/albums/{id}/", "/api/v1/charts/{slug}/"]:
        operation = schema["paths"][path]["get"]
        assert "304" in operation["responses"]
        assert "ETag" in operation["responses"]["200"]["headers"]
        assert any(p["name"] == "If-None-Match" for p in operation["parameters"])


def test_fifty_ids_are_fine_and_cost_the_same_queries_as_one(
    client_for, db, django_assert_num_queries
):
    songs = SongFactory.create_batch(MAX_BATCH_IDS)
    client = client_for(None)
    with django_assert_num_queries(2):
        response = client.get(f"/api/v1/songs/?ids={songs[0].pk}&limit=100")
    assert body_of(response)["count"] == 1
    asked = ",".join(str(s.pk) for s in reversed(songs))
    with django_assert_num_queries(2):
        response = client.get(f"/api/v1/songs/?ids={asked}&limit=100")
    assert [s["id"] for s in body_of(response)["results"]] == [s.pk for s in reversed(songs)]
