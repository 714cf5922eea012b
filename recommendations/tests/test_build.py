"""Model builds (atomic swap, logs, pruning) and what a fitted model adds to the endpoints."""

import pytest
from django.core.files.storage import default_storage

from analytics.models import Action
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import AlbumFactory, ArtistFactory, GenreFactory, SongFactory
from recommendations import services
from recommendations.modeling import FittedModel
from recommendations.models import RecommendationLog, RecommendationModel, SongNeighbours
from recommendations.tests.factories import UserSongDailyStatsFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two tastes: rock fans play the rock songs, jazz fans the jazz songs."""
    songs = {}
    for genre_name in ("rock", "jazz"):
        genre = GenreFactory(slug=genre_name, name=genre_name.title())
        songs[genre_name] = [
            SongFactory(title=f"{genre_name} {n}", album=AlbumFactory(genre=genre), popularity=50)
            for n in range(6)
        ]
    fans = {"rock": UserFactory.create_batch(6), "jazz": UserFactory.create_batch(6)}
    for genre_name, users in fans.items():
        for index, user in enumerate(users):
            for song in songs[genre_name]:
                if (index + song.pk) % 5:  # everyone misses a song or two
                    UserSongDailyStatsFactory(user=user, song=song, plays=3, completes=1)
    return songs, fans


def test_build_swaps_in_a_model_with_neighbours(world):
    songs, _ = world

    model = services.recommendation_model_build()

    assert model.is_active
    assert (model.users_count, model.items_count) == (12, 12)
    assert default_storage.exists(model.artifact.name)
    neighbours = SongNeighbours.objects.get(model=model, song=songs["rock"][0])
    rock_ids = {s.pk for s in songs["rock"]}
    assert neighbours.similar_ids[0] in rock_ids
    assert len(neighbours.similar_ids) == len(neighbours.scores)
    log = RecommendationLog.objects.get(kind="build")
    assert (log.status, log.model, log.users_count, log.items_count) == ("success", model, 12, 12)
    assert log.interactions_count == model.interactions_count > 0


def test_rebuild_swaps_atomically_and_prunes_old_models(world):
    first = services.recommendation_model_build()
    second = services.recommendation_model_build()

    assert list(RecommendationModel.objects.filter(is_active=True)) == [second]
    assert RecommendationModel.objects.filter(pk=first.pk).exists()

    third = services.recommendation_model_build()

    assert set(RecommendationModel.objects.values_list("pk", flat=True)) == {second.pk, third.pk}
    assert not default_storage.exists(first.artifact.name)
    assert not SongNeighbours.objects.filter(model_id=first.pk).exists()


def test_activate_switches_back(world):
    first = services.recommendation_model_build()
    services.recommendation_model_build()

    services.recommendation_model_activate(model=first)

    assert list(RecommendationModel.objects.filter(is_active=True)) == [first]


@pytest.mark.parametrize("listeners", [1, 2])
def test_not_enough_data_is_logged_as_skipped(listeners):
    # One listener, or two who share no song with a third: nothing the engine can model.
    songs = SongFactory.create_batch(2)
    for user in UserFactory.create_batch(listeners):
        for song in songs:
            ListeningEventFactory(user=user, song=song)

    assert services.recommendation_model_build() is None

    assert not RecommendationModel.objects.exists()
    log = RecommendationLog.objects.get()
    assert (log.kind, log.status) == ("build", "skipped")


def test_failed_build_keeps_the_active_model(world, monkeypatch):
    model = services.recommendation_model_build()

    def explode(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(FittedModel, "fit", explode)
    with pytest.raises(RuntimeError):
        services.recommendation_model_build()

    assert list(RecommendationModel.objects.filter(is_active=True)) == [model]
    failed = RecommendationLog.objects.get(status="failed")
    assert "out of memory" in failed.error


def test_warm_picks_come_from_the_model_with_reasons(world, client_for):
    songs, _ = world
    services.recommendation_model_build()
    listener = UserFactory()
    for song in songs["rock"][:2]:
        ListeningEventFactory(user=listener, song=song, action=Action.COMPLETE)

    response = client_for(listener).get("/api/v1/recommendations/me/")

    tracks = response.json()["tracks"]
    played = {s.title for s in songs["rock"][:2]}
    rock = {s.pk for s in songs["rock"][2:]}
    assert {t["song"]["id"] for t in tracks[:4]} == rock
    for track in tracks[:4]:
        assert track["reason"] in {f"Because you played {title}" for title in played}
    assert not {t["song"]["id"] for t in tracks} & {s.pk for s in songs["rock"][:2]}
    assert all(t["reason"] and 0 < t["score"] <= 1 for t in tracks)
    scores = [t["score"] for t in tracks]
    assert scores == sorted(scores, reverse=True)


def test_reason_names_a_liked_song(world, client_for):
    songs, _ = world
    services.recommendation_model_build()
    listener = UserFactory()
    ListeningEventFactory(user=listener, song=songs["jazz"][0], action=Action.LIKE)

    tracks = client_for(listener).get("/api/v1/recommendations/me/").json()["tracks"]

    assert tracks[0]["reason"] == f"Because you liked {songs['jazz'][0].title}"


def test_similar_is_collaborative_when_the_model_knows_the_song(world, api_client):
    songs, _ = world
    services.recommendation_model_build()
    seed = songs["jazz"][0]
    lonely = SongFactory(album=AlbumFactory(genre=seed.genre))

    tracks = api_client.get(f"/api/v1/songs/{seed.pk}/similar/?limit=6").json()["tracks"]

    assert [t["source"] for t in tracks[:5]] == ["collaborative"] * 5
    assert {t["song"]["id"] for t in tracks[:5]} == {s.pk for s in songs["jazz"][1:]}
    assert tracks[5] == {
        "song": tracks[5]["song"],
        "score": tracks[5]["score"],
        "source": "audio_features",
    }
    assert tracks[5]["song"]["id"] == lonely.pk


def test_hidden_neighbours_are_skipped(world, api_client):
    songs, _ = world
    services.recommendation_model_build()
    hidden = songs["rock"][1]
    hidden.is_visible = False
    hidden.save()

    tracks = api_client.get(f"/api/v1/songs/{songs['rock'][0].pk}/similar/").json()["tracks"]

    assert hidden.pk not in {t["song"]["id"] for t in tracks}


def test_track_seed_uses_the_model_neighbours(world, api_client):
    songs, _ = world
    services.recommendation_model_build()
    stranger = SongFactory(artist=ArtistFactory(), album=AlbumFactory(genre=songs["rock"][0].genre))

    body = api_client.get(
        "/api/v1/recommendations/", {"seed_tracks": songs["rock"][0].pk, "limit": 5}
    ).json()

    assert {t["id"] for t in body["tracks"]} == {s.pk for s in songs["rock"][1:]}
    assert body["seeds"][0]["initial_pool_size"] == 6
    assert stranger.pk not in {t["id"] for t in body["tracks"]}
