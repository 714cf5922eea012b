"""Benchmark of the recommendations platform side: prints figures (no pass/fail).

    DEBUG=1 DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/recommendations.py

1. Engine fit time on the HetRec Last.fm file (``lastfm_hetrec2011_2k`` under the
   ``MUSIC_DATA_DIR`` setting; skipped with a message when it is not there).
2. On a synthetic catalog of 5,000 songs and 1,000 listeners (in a throwaway database,
   ``bench_recommendations_<name>``, created and dropped here): the model build, the refresh
   of all 1,000 listeners' picks (batches of 500, as the hourly task does).
3. Median and p95 latency at the server (Django's test client, real JWT authentication)
   of /recommendations/me/ from the cache, from the database and computed on the spot,
   and of the seed endpoint with random seeds and filters.

Targets (issue 6): refresh of 1,000 users under 20 s; cached /me/ median under 10 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

SONGS, ARTISTS, GENRES, USERS = 5_000, 500, 20, 1_000
SONGS_PER_USER = 40
REQUESTS = 200
rng = random.Random(7)


def seconds(started: float) -> str:
    return f"{time.perf_counter() - started:.2f} s"


def latency(label: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * len(ms))) - 1)]
    print(
        f"  {label:<34} median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms   (n={len(ms)})"
    )


def bench_hetrec_fit() -> None:
    from recommendations import engine, evaluation

    path = evaluation.hetrec_path()
    if not path.is_file():
        print(f"HetRec fit: skipped, no {path} (set MUSIC_DATA_DIR)")
        return
    data = evaluation.load_interactions(path)
    users, user_rows = np.unique(data.users, return_inverse=True)
    items, item_cols = np.unique(data.items, return_inverse=True)
    matrix = sp.csr_matrix((data.weights, (user_rows, item_cols)), shape=(len(users), len(items)))
    started = time.perf_counter()
    engine.Recommender().fit(matrix)
    print(
        f"HetRec fit ({matrix.shape[0]} users x {matrix.shape[1]} items, "
        f"{matrix.nnz} interactions): {seconds(started)}"
    )


def populate() -> list[int]:
    """Catalog, listeners and their listening rollups, bulk-inserted."""
    from analytics.models import SongDailyStats, UserDailyStats, UserSongDailyStats
    from catalog.models import Album, Artist, Genre, Song
    from users.models import User

    genres = Genre.objects.bulk_create(
        [Genre(slug=f"genre-{g}", name=f"Genre {g}") for g in range(GENRES)]
    )
    artists = Artist.objects.bulk_create(
        [Artist(name=f"Artist {a}", slug=f"artist-{a}") for a in range(ARTISTS)]
    )
    albums = Album.objects.bulk_create(
        [
            Album(title=f"Album {a}", artist=artist, genre=genres[a % GENRES], year=2020)
            for a, artist in enumerate(artists)
        ]
    )
    songs = Song.objects.bulk_create(
        [
            Song(
                title=f"Song {s}",
                artist=albums[s % ARTISTS].artist,
                album=albums[s % ARTISTS],
                genre=albums[s % ARTISTS].genre,
                duration_ms=rng.randint(120_000, 360_000),
                popularity=rng.randint(0, 100),
                acousticness=rng.random(),
                danceability=rng.random(),
                energy=rng.random(),
                instrumentalness=rng.random() * 0.3,
                liveness=rng.random() * 0.4,
                speechiness=rng.random() * 0.2,
                valence=rng.random(),
                loudness=-rng.random() * 20,
                tempo=60 + rng.random() * 120,
                key=rng.randint(0, 11),
                mode=rng.randint(0, 1),
            )
            for s in range(SONGS)
        ],
        batch_size=1000,
    )
    users = User.objects.bulk_create(
        [User(username=f"bench{u}", email=f"bench{u}@example.com") for u in range(USERS)],
        batch_size=1000,
    )
    by_genre: dict[int, list] = {}
    for song in songs:
        by_genre.setdefault(song.genre_id, []).append(song)
    today = timezone.now().date()
    rows, daily = [], []
    for user in users:
        # Each listener favours two genres, as real listeners do.
        favourites = rng.sample(genres, 2)
        pool = by_genre[favourites[0].id] + by_genre[favourites[1].id]
        for song in rng.sample(pool, SONGS_PER_USER):
            rows.append(
                UserSongDailyStats(
                    user=user,
                    song=song,
                    day=today - timedelta(days=rng.randint(0, 60)),
                    plays=rng.randint(1, 20),
                    completes=rng.randint(0, 5),
                    likes=int(rng.random() < 0.1),
                    skips=int(rng.random() < 0.1),
                )
            )
        now = timezone.now()
        daily.append(UserDailyStats(user=user, day=today, first_event_at=now, last_event_at=now))
    UserSongDailyStats.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    UserDailyStats.objects.bulk_create(daily, batch_size=1000)
    SongDailyStats.objects.bulk_create(
        [
            SongDailyStats(song=song, day=today - timedelta(days=d), plays=rng.randint(0, 50))
            for song in rng.sample(songs, 1000)
            for d in range(7)
        ],
        batch_size=5000,
    )
    print(
        f"synthetic data: {SONGS} songs, {ARTISTS} artists, {USERS} listeners, "
        f"{len(rows)} user-song rollup rows"
    )
    return [u.pk for u in users]


def bench_platform(user_ids: list[int]) -> None:
    from catalog.models import Artist, Genre, Song
    from recommendations import services
    from users.models import User

    started = time.perf_counter()
    model = services.recommendation_model_build()
    print(f"model build (fit + neighbours + swap) on the synthetic data: {seconds(started)}")
    print(f"  fit alone: {model.fit_seconds:.2f} s ({model.interactions_count} interactions)")

    started = time.perf_counter()
    for start in range(0, len(user_ids), 500):
        services.user_picks_refresh(user_ids=user_ids[start : start + 500])
    print(f"refresh of {len(user_ids)} listeners: {seconds(started)}  (target < 20 s)")

    users = list(User.objects.filter(pk__in=rng.sample(user_ids, REQUESTS)))
    clients = {}
    for user in users:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        clients[user.pk] = client

    def timed(client, url, params=None, expect_source=None) -> float:
        started = time.perf_counter()
        response = client.get(url, params or {})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:300]
        if expect_source:
            assert response["X-Data-Source"] == expect_source, response["X-Data-Source"]
        return elapsed

    me = "/api/v1/recommendations/me/"
    print("latency at the server (Django test client, JWT auth):")
    for user in users:
        cache.delete(services.picks_cache_key(user.pk))
    latency(
        "/me/ from the database (uncached)",
        [timed(clients[u.pk], me, expect_source="database") for u in users],
    )
    latency("/me/ from the cache", [timed(clients[u.pk], me, expect_source="cache") for u in users])
    computed = users[:50]
    from recommendations.models import UserPicks

    UserPicks.objects.filter(user__in=computed).delete()
    for user in computed:
        cache.delete(services.picks_cache_key(user.pk))
    latency(
        "/me/ computed on the spot",
        [timed(clients[u.pk], me, expect_source="computed") for u in computed],
    )

    genre_slugs = list(Genre.objects.values_list("slug", flat=True))
    artist_ids = list(Artist.objects.values_list("id", flat=True))
    song_ids = list(Song.objects.values_list("id", flat=True))
    anonymous = APIClient()
    samples = []
    for _ in range(REQUESTS):
        params = {
            "seed_genres": ",".join(rng.sample(genre_slugs, 1)),
            "seed_artists": ",".join(str(a) for a in rng.sample(artist_ids, 2)),
            "seed_tracks": ",".join(str(s) for s in rng.sample(song_ids, 2)),
            "min_energy": 0.2,
            "max_popularity": 90,
            "target_danceability": round(rng.random(), 2),
        }
        samples.append(timed(anonymous, "/api/v1/recommendations/", params))
    latency("seed endpoint (5 seeds, filters)", samples)


def main() -> None:
    bench_hetrec_fit()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # Its own database, so neither the development data nor a test run's is touched.
    connection.settings_dict["TEST"]["NAME"] = f"bench_recommendations_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        # Model artifacts go to a temporary MEDIA_ROOT, removed with the database.
        with (
            tempfile.TemporaryDirectory() as media,
            override_settings(SECURE_SSL_REDIRECT=False, RATELIMIT_ENABLE=False, MEDIA_ROOT=media),
        ):
            started = time.perf_counter()
            user_ids = populate()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would have by now
            print(f"  populated in {seconds(started)}")
            bench_platform(user_ids)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
