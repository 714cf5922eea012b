"""Strict query strings on every recommendation endpoint (common.api.validated_query):
unknown, repeated or blank parameters and NUL bytes are a 400 naming the parameter."""

import pytest

from catalog.tests.factories import GenreFactory, SongFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def song():
    GenreFactory(slug="rock")
    return SongFactory()


def errors(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    return [(e["attr"], e["code"]) for e in body["errors"]]


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        (
            "/recommendations/",
            "seed_genres=pop&seed_genres=rock",
            ("seed_genres", "multiple_values"),
        ),
        ("/recommendations/", "seed_genres=rock&limit=", ("limit", "blank")),
        ("/recommendations/", "seed_genres=rock&colour=red", ("colour", "unknown_parameter")),
        ("/songs/trending/", "genre=", ("genre", "blank")),
        ("/songs/trending/", "window=7d&window=30d", ("window", "multiple_values")),
        ("/songs/trending/", "page=2", ("page", "unknown_parameter")),
        ("/songs/{song}/similar/", "limit=1&limit=2", ("limit", "multiple_values")),
        ("/songs/{song}/similar/", "limit=%20", ("limit", "blank")),
        ("/recommendations/genre-seeds/", "genre=rock", ("genre", "unknown_parameter")),
        ("/recommendations/me/", "fresh=1", ("fresh", "unknown_parameter")),
        ("/users/me/preferences/", "x=", ("x", "unknown_parameter")),
    ],
)
def test_unknown_repeated_or_blank_parameters_are_400(client_for, song, path, query, expected):
    url = "/api/v1" + path.format(song=song.pk) + "?" + query

    assert errors(client_for(UserFactory()).get(url)) == [expected]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/songs/trending/", "genre"),
        ("/songs/trending/", "window"),
        ("/songs/trending/", "limit"),
        ("/songs/{song}/similar/", "limit"),
        ("/recommendations/", "seed_genres"),
        ("/recommendations/", "seed_artists"),
        ("/recommendations/", "seed_tracks"),
        ("/recommendations/", "limit"),
        ("/recommendations/", "min_energy"),
        ("/recommendations/", "target_key"),
    ],
)
def test_nul_bytes_are_400_not_500(api_client, song, path, param):
    url = "/api/v1" + path.format(song=song.pk) + f"?{param}=a%00b"
    if path == "/recommendations/" and param != "seed_genres":
        url += "&seed_genres=rock"

    assert {attr for attr, _ in errors(api_client.get(url))} == {param}


def test_nul_byte_in_a_parameter_name_is_400(api_client):
    assert errors(api_client.get("/api/v1/songs/trending/?ge%00nre=rock")) == [
        ("ge\x00nre", "unknown_parameter")
    ]
