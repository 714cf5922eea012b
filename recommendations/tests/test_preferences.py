"""GET, PUT /api/v1/users/me/preferences/."""

import pytest

from catalog.tests.factories import ArtistFactory, GenreFactory
from recommendations.models import UserPicks, UserPreferences
from recommendations.tests.factories import UserPreferencesFactory
from users.tests.factories import UserFactory

URL = "/api/v1/users/me/preferences/"
pytestmark = pytest.mark.django_db


def test_empty_preferences_by_default(client_for):
    response = client_for(UserFactory()).get(URL)

    assert response.status_code == 200
    assert response.json() == {"favorite_genres": [], "favorite_artists": [], "moods": []}
    assert not UserPreferences.objects.exists()


def test_put_replaces_everything(client_for):
    user = UserFactory()
    rock, jazz = GenreFactory(slug="rock"), GenreFactory(slug="jazz")
    old_artist, artist = ArtistFactory(), ArtistFactory()
    UserPreferencesFactory(
        user=user, favorite_genres=[rock], favorite_artists=[old_artist], moods=["sad"]
    )
    UserPicks.objects.create(user=user, generated_at="2024-01-01T00:00:00Z", items=[])
    payload = {
        "favorite_genres": ["jazz", "rock", "jazz"],
        "favorite_artists": [artist.id],
        "moods": ["happy", "focus"],
    }

    response = client_for(user).put(URL, payload, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "favorite_genres": ["jazz", "rock"],
        "favorite_artists": [artist.id],
        "moods": ["happy", "focus"],
    }
    assert client_for(user).get(URL).json() == response.json()
    prefs = UserPreferences.objects.get(user=user)
    assert set(prefs.favorite_genres.all()) == {rock, jazz}
    # The cold start depends on preferences: stored picks are recomputed on the next read.
    assert not UserPicks.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        ({"favorite_genres": ["polka"], "favorite_artists": [], "moods": []}, "favorite_genres"),
        ({"favorite_genres": [], "favorite_artists": [999999], "moods": []}, "favorite_artists"),
        ({"favorite_genres": [], "favorite_artists": [], "moods": ["sleepy"]}, "moods"),
        ({"favorite_genres": [], "favorite_artists": ["x"], "moods": []}, "favorite_artists"),
        # JSON bodies take the JSON type the schema states: no digit string for an integer id
        ({"favorite_genres": [], "favorite_artists": ["5"], "moods": []}, "favorite_artists"),
        ({"favorite_genres": [], "favorite_artists": [1.5], "moods": []}, "favorite_artists"),
        ({"favorite_genres": [7], "favorite_artists": [], "moods": []}, "favorite_genres"),
        ({"favorite_genres": "rock", "favorite_artists": [], "moods": []}, "favorite_genres"),
        ({"favorite_artists": [], "moods": []}, "favorite_genres"),
        ({"favorite_genres": ["g"] * 21, "favorite_artists": [], "moods": []}, "favorite_genres"),
    ],
)
def test_invalid_preferences_are_400_and_change_nothing(client_for, payload, attr):
    user = UserFactory()
    rock = GenreFactory(slug="rock")
    UserPreferencesFactory(user=user, favorite_genres=[rock], moods=["calm"])

    response = client_for(user).put(URL, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert attr in {e["attr"] for e in body["errors"]}
    prefs = UserPreferences.objects.get(user=user)
    assert prefs.moods == ["calm"]
    assert list(prefs.favorite_genres.all()) == [rock]


def test_item_errors_are_reported_on_the_list(client_for):
    payload = {"favorite_genres": [], "favorite_artists": [], "moods": ["calm", "sleepy"]}

    response = client_for(UserFactory()).put(URL, payload, format="json")

    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "invalid_choice",
                "detail": 'Item 1: "sleepy" is not a valid choice.',
                "attr": "moods",
            }
        ],
    }


def test_malformed_json_is_400(client_for):
    response = client_for(UserFactory()).put(URL, b"{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["type"] == "client_error"


def test_anonymous_may_not_read_or_write(api_client):
    assert api_client.get(URL).status_code == 401
    payload = {"favorite_genres": [], "favorite_artists": [], "moods": []}
    assert api_client.put(URL, payload, format="json").status_code == 401
    assert not UserPreferences.objects.exists()


def test_method_not_allowed(client_for):
    assert client_for(UserFactory()).post(URL, {}, format="json").status_code == 405
