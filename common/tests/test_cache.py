"""common.cache: the early lookup of GETs without credentials, one bump per name and
transaction, and the picks page keyed by what it depends on (issue 12)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.urls import include, path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.caching import CATALOG, visibility_audience
from catalog.tests.factories import AlbumLikeFactory, SongFactory
from common.cache import (
    CachedReadMixin,
    _Bump,
    _fetch_many,
    _lookup_connection,
    bump_generations,
    generations,
)
from common.ratelimit import RateLimitThrottle
from recommendations import services as recommendation_services
from users.models import Role, User
from users.tests.factories import ArtistUserFactory, EditorFactory, UserFactory

pytestmark = pytest.mark.django_db

# --- views of this module: what DRF's own path ran, seen from the view ----------------------

RAN_DRF_INITIAL: list[str] = []  # one entry per request that went through DRF's initial()
GENERATION = "test-early"


class _Counted(CachedReadMixin, APIView):
    permission_classes = [AllowAny]
    cache_generations = (GENERATION,)

    def initial(self, request, *args, **kwargs):
        RAN_DRF_INITIAL.append(type(self).__name__)
        super().initial(request, *args, **kwargs)

    def get(self, request):
        return Response({"value": "the body"})


class _GetLimit(RateLimitThrottle):
    group = "common.tests.cache.get"
    rate = "3/m"
    key = "ip"
    methods = ("GET", "HEAD")


class _PostLimit(_GetLimit):
    group = "common.tests.cache.post"
    methods = ("POST",)


class _Throttled(_Counted):
    throttle_classes = [_GetLimit]


class _ThrottledPostsOnly(_Counted):
    throttle_classes = [_PostLimit]


class _LoggedInOnly(_Counted):
    permission_classes = [IsAuthenticated]

    def cache_audience(self, request):
        return "everyone"  # would share with anonymous callers if the permission let them


urlpatterns = [
    path("counted/", _Counted.as_view()),
    path("throttled/", _Throttled.as_view()),
    path("throttled-posts/", _ThrottledPostsOnly.as_view()),
    path("logged-in/", _LoggedInOnly.as_view()),
    path("", include("music_platform.urls")),
]
HERE = "common.tests.test_cache"


@pytest.fixture(autouse=True)
def _fresh_record():
    RAN_DRF_INITIAL.clear()
    # Rate-limit counters live in Redis (flushed per test); a fresh group per test anyway.
    _GetLimit.group = _PostLimit.group = f"common.tests.cache.{uuid.uuid4().hex}"


# --- the early lookup ------------------------------------------------------------------------


@pytest.mark.urls(HERE)
def test_a_get_without_credentials_is_answered_before_drf_runs(
    client_for, django_assert_num_queries
):
    client = client_for(None)
    first = client.get("/counted/")
    assert first.status_code == 200 and first["X-Cache"] == "miss"
    assert RAN_DRF_INITIAL == ["_Counted"]
    with django_assert_num_queries(0):
        hit = client.get("/counted/")
        not_modified = client.get("/counted/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert hit.status_code == 200 and hit["X-Cache"] == "hit" and hit.content == first.content
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == first["ETag"]
    assert RAN_DRF_INITIAL == ["_Counted"]  # neither ran DRF's initial()
    # The headers of DRF's path; Vary names Cookie too (as reading the session there adds):
    # the answer to a request with a session cookie may differ.
    for response in (hit, not_modified):
        assert response["Cache-Control"] == first["Cache-Control"] == "public, max-age=60"
        assert _vary(response) >= {"authorization", "cookie"}
    assert hit["Allow"] == first["Allow"] and hit["Content-Type"] == first["Content-Type"]
    # A cache refreshes its stored headers from a 304: it must not relabel the JSON.
    assert not not_modified.has_header("Content-Type")


@pytest.mark.urls(HERE)
def test_a_stale_entry_is_looked_up_once_and_rebuilt(client_for):
    client = client_for(None)
    etag = client.get("/counted/")["ETag"]
    bump_generations(GENERATION)
    response = client.get("/counted/", HTTP_IF_NONE_MATCH=etag)
    # The body did not change: the rebuilt response has the same ETag, so still a 304.
    assert response.status_code == 304 and RAN_DRF_INITIAL == ["_Counted", "_Counted"]
    assert not response.has_header("Content-Type") and response["ETag"] == etag
    assert client.get("/counted/")["X-Cache"] == "hit"


@pytest.mark.urls(HERE)
def test_a_throttle_that_counts_gets_counts_304s_and_hits_too(client_for):
    client = client_for(None)
    etag = client.get("/throttled/")["ETag"]
    statuses = [client.get("/throttled/", HTTP_IF_NONE_MATCH=etag).status_code for _ in range(3)]
    assert statuses == [304, 304, 429]  # the limit is 3 a minute: the first GET counted
    assert client.get("/throttled/").status_code == 429
    # A throttle of POSTs only does not stop the early answer.
    etag = client.get("/throttled-posts/")["ETag"]
    for _ in range(4):
        assert client.get("/throttled-posts/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert RAN_DRF_INITIAL == ["_Throttled"] * 5 + ["_ThrottledPostsOnly"]


@pytest.mark.urls(HERE)
def test_a_permission_refusing_anonymous_callers_still_refuses(client_for):
    etag = client_for(UserFactory()).get("/logged-in/")["ETag"]  # stored for "everyone"
    response = client_for(None).get("/logged-in/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 401
    assert client_for(None).get("/logged-in/").status_code == 401


def test_an_invalid_token_is_a_401_even_with_the_current_etag(content, client_for):
    path = f"/api/v1/songs/{content.public_song.pk}/"
    etag = client_for(None).get(path)["ETag"]
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    for headers in ({}, {"HTTP_IF_NONE_MATCH": etag}):
        assert client.get(path, **headers).status_code == 401


def test_a_blocked_account_is_a_401_even_with_the_current_etag(content, client_for):
    path = f"/api/v1/songs/{content.public_song.pk}/"
    etag = client_for(None).get(path)["ETag"]
    blocked = UserFactory()
    client = client_for(blocked)
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304  # shares the page
    User.objects.filter(pk=blocked.pk).update(is_blocked=True)
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 401


def test_etags_of_anonymous_and_listener_album_pages_do_not_validate_each_other(
    content, cast, client_for
):
    AlbumLikeFactory(user=cast.listener, album=content.public_album)
    path = f"/api/v1/albums/{content.public_album.pk}/"
    anonymous, listener = client_for(None), client_for(cast.listener)
    anonymous_etag, listener_etag = anonymous.get(path)["ETag"], listener.get(path)["ETag"]
    assert anonymous_etag != listener_etag  # "liked" differs
    response = listener.get(path, HTTP_IF_NONE_MATCH=anonymous_etag)
    assert response.status_code == 200 and json.loads(response.content)["liked"] is True
    response = anonymous.get(path, HTTP_IF_NONE_MATCH=listener_etag)
    assert response.status_code == 200 and json.loads(response.content)["liked"] is False
    assert anonymous.get(path, HTTP_IF_NONE_MATCH=anonymous_etag).status_code == 304
    assert listener.get(path, HTTP_IF_NONE_MATCH=listener_etag).status_code == 304


def test_a_session_cookie_takes_the_full_path_and_sees_what_its_user_sees(
    content, cast, client_for
):
    anonymous = client_for(None).get("/api/v1/songs/")
    titles = [song["title"] for song in json.loads(anonymous.content)["results"]]
    assert "Hidden Song" not in titles
    editor = client_for(None)
    editor.force_login(cast.editor)  # the admin's session cookie
    response = editor.get("/api/v1/songs/", HTTP_IF_NONE_MATCH=anonymous["ETag"])
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"
    assert "Hidden Song" in [song["title"] for song in json.loads(response.content)["results"]]


# --- one bump per name and transaction -------------------------------------------------------


def _bumps(callbacks) -> list[tuple[str, ...]]:
    return [callback.names for callback in callbacks if isinstance(callback, _Bump)]


def test_many_writes_in_a_transaction_bump_once_at_once_and_once_after_commit(
    django_capture_on_commit_callbacks,
):
    before = generations([CATALOG])[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        SongFactory.create_batch(5)  # artists and songs: a dozen saves, each one bumps
    assert generations([CATALOG])[0] == before + 1
    assert _bumps(callbacks) == [(CATALOG,)]
    callbacks[[isinstance(c, _Bump) for c in callbacks].index(True)]()
    assert generations([CATALOG])[0] == before + 2


def test_names_bumped_together_or_apart_are_each_bumped_once(django_capture_on_commit_callbacks):
    before = dict(zip("abc", generations(["a", "b", "c"]), strict=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bump_generations("a", "b")
        bump_generations("b", "c", "b")
        bump_generations("a")
        at_once = dict(zip("abc", generations(["a", "b", "c"]), strict=True))
    assert at_once == {name: value + 1 for name, value in before.items()}
    assert _bumps(callbacks) == [("a", "b"), ("c",)]
    after = dict(zip("abc", generations(["a", "b", "c"]), strict=True))
    assert after == {name: value + 2 for name, value in before.items()}


def test_a_cached_read_between_two_writes_makes_the_second_bump_at_once(content, client_for):
    anonymous = client_for(None)
    SongFactory(title="First Write")
    assert "First Write" in _titles(anonymous.get("/api/v1/songs/"))
    assert anonymous.get("/api/v1/songs/")["X-Cache"] == "hit"
    SongFactory(title="Second Write")  # same transaction (the test's), read in between
    assert "Second Write" in _titles(anonymous.get("/api/v1/songs/"))


def test_a_bump_rolled_back_with_its_savepoint_registers_again(django_capture_on_commit_callbacks):
    before = generations(["rolled"])[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                bump_generations("rolled")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        bump_generations("rolled")
    assert generations(["rolled"])[0] == before + 2  # its callback went with the savepoint
    assert _bumps(callbacks) == [("rolled",)]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_write_bumps_once():
    before = generations(["autocommit"])[0]
    bump_generations("autocommit")
    assert generations(["autocommit"])[0] == before + 1


# --- the picks page: keyed by what the caller may see -----------------------------------------


def test_visibility_audience_names_what_the_caller_sees():
    listener, other_listener = UserFactory(), UserFactory()
    editor, admin = EditorFactory(), UserFactory(role=Role.ADMIN)
    artist, other_artist = ArtistUserFactory(), ArtistUserFactory()
    assert visibility_audience(AnonymousUser()) == visibility_audience(None) == "public"
    assert visibility_audience(listener) == visibility_audience(other_listener) == "public"
    assert visibility_audience(editor) == visibility_audience(admin) == "all"
    assert visibility_audience(artist) not in ("public", "all")
    assert visibility_audience(artist) != visibility_audience(other_artist)
    listener.is_staff = True  # what the admin can set directly: visibility follows the role
    assert visibility_audience(listener) == "public"


def test_the_picks_page_follows_what_the_caller_sees_not_is_staff(client_for):
    public = SongFactory(popularity=50)
    hidden = SongFactory(popularity=90, is_visible=False)
    user = UserFactory()
    recommendation_services.user_picks_refresh(user_ids=[user.pk])
    client = client_for(user)
    url = "/api/v1/recommendations/me/"
    first = client.get(url)
    assert hidden.pk not in _pick_ids(first) and public.pk in _pick_ids(first)

    User.objects.filter(pk=user.pk).update(is_staff=True)  # behind the model's back
    response = client.get(url)
    assert response["X-Cache"] == "hit" and response.content == first.content

    User.objects.filter(pk=user.pk).update(role=Role.EDITOR)  # is_staff left as it was
    response = client.get(url)
    assert response["X-Cache"] == "miss"  # what it may see changed: not the listener's page
    cache.clear()
    assert client.get(url).content == response.content


def _pick_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [track["song"]["id"] for track in json.loads(response.content)["tracks"]]


def _titles(response) -> list[str]:
    return [row["title"] for row in json.loads(response.content)["results"]]


def _vary(response) -> set[str]:
    return {part.strip().lower() for part in response["Vary"].split(",")}


# --- the lookup's one MGET, straight on a connection ------------------------------------------


def test_the_lookup_reads_exactly_what_get_many_reads():
    cache.set("mget:int", 5, timeout=None)
    cache.set("mget:entry", ((1, 2), "application/json", b"\x00body", 'W/"e"'))
    names = ["mget:int", "mget:entry", "mget:missing"]

    assert _fetch_many(names) == cache.get_many(names)
    assert _fetch_many(names) == {
        "mget:int": 5,
        "mget:entry": ((1, 2), "application/json", b"\x00body", 'W/"e"'),
    }


def test_a_connection_the_server_dropped_is_one_miss_and_then_replaced():
    assert _fetch_many(["mget:x"]) == {}
    dropped = _lookup_connection.connection
    dropped.send_command("CLIENT", "ID")
    client_id = dropped.read_response()
    cache.client.get_client(write=True).client_kill_filter(_id=client_id)

    assert _fetch_many(["mget:x"]) is None  # uncached this once, not an error
    assert _lookup_connection.connection is None
    cache.set("mget:x", 1)
    assert _fetch_many(["mget:x"]) == {"mget:x": 1}
    assert _lookup_connection.connection is not dropped


@pytest.mark.urls(HERE)
def test_with_redis_unreachable_a_cached_view_answers_from_its_source(client_for, settings):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    response = client_for().get("/counted/")

    assert response.status_code == 200 and response.json() == {"value": "the body"}
    assert RAN_DRF_INITIAL == ["_Counted"]  # the full path: no early answer without Redis
    assert _fetch_many(["anything"]) is None


def test_the_response_key_tells_apart_everything_a_body_depends_on(settings):
    settings.ALLOWED_HOSTS = ["api.example.com", "other.example.com"]
    from django.test import RequestFactory
    from rest_framework.request import Request

    view = _Counted()
    factory = RequestFactory()

    def key(path="/counted/?a=1", audience="public", secure=False, **meta):
        meta.setdefault("HTTP_HOST", "api.example.com")
        meta.setdefault("HTTP_ACCEPT", "application/json")
        http = factory.get(path, secure=secure, **meta)
        return view._response_key(Request(http), audience)

    base = key()
    assert key() == base  # the same request, the same key (DRF's request or Django's)
    assert (
        view._response_key(
            factory.get(
                "/counted/?a=1", HTTP_HOST="api.example.com", HTTP_ACCEPT="application/json"
            ),
            "public",
        )
        == base
    )
    others = [
        key("/counted/?a=2"),
        key("/counted/?a=1&b=1"),
        key("/counted/"),
        key("/counted/x/?a=1"),
        key("/counted/?a=%C3%A9"),
        key(audience="user:7"),
        key(secure=True),
        key(HTTP_HOST="other.example.com"),
        key(HTTP_ACCEPT="text/html"),
    ]
    assert len({base, *others}) == len(others) + 1
