"""Implicit feedback read from analytics, album likes and playlists (selectors)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Action, RollupWatermark, UserDailyStats
from analytics.sql import WATERMARK_NAME
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import (
    AlbumFactory,
    AlbumLikeFactory,
    PlaylistSongFactory,
    SongFactory,
)
from recommendations import selectors
from recommendations.tests.factories import UserSongDailyStatsFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def weights(table, user):
    return {
        int(s): (round(float(w), 3), int(f))
        for u, s, w, f in zip(table.users, table.songs, table.weights, table.sources, strict=True)
        if u == user.pk
    }


def test_complete_and_like_weigh_more_than_play_and_skips_count_against():
    user = UserFactory()
    played, completed, liked, skipped, hidden = SongFactory.create_batch(5)
    hidden.is_visible = False
    hidden.save()
    for song, actions in [
        (played, [Action.PLAY]),
        (completed, [Action.PLAY, Action.COMPLETE]),
        (liked, [Action.LIKE]),
        (skipped, [Action.PLAY, Action.SKIP]),
        (hidden, [Action.PLAY]),
    ]:
        for action in actions:
            ListeningEventFactory(user=user, song=song, action=action)
    ListeningEventFactory(user=None, song=played)

    table = selectors.interaction_table(user_ids=[user.pk])

    assert weights(table, user) == {
        played.pk: (1.0, selectors.PLAYED),
        completed.pk: (3.0, selectors.PLAYED),
        liked.pk: (4.0, selectors.LIKED),
    }


def test_rollups_decay_and_the_rolled_up_events_are_not_counted_twice():
    user = UserFactory()
    recent, old = SongFactory.create_batch(2)
    today = timezone.now().date()
    UserSongDailyStatsFactory(user=user, song=recent, day=today, plays=2, completes=1)
    UserSongDailyStatsFactory(user=user, song=old, day=today - timedelta(days=90), plays=4)
    rolled = ListeningEventFactory(user=user, song=recent, action=Action.PLAY)
    RollupWatermark.objects.create(name=WATERMARK_NAME, last_event_id=rolled.pk)
    ListeningEventFactory(user=user, song=old, action=Action.LIKE)

    table = selectors.interaction_table(user_ids=[user.pk])

    assert weights(table, user) == {
        recent.pk: (4.0, selectors.PLAYED),
        old.pk: (2.0 + 4.0, selectors.PLAYED | selectors.LIKED),
    }


def test_album_likes_and_playlist_adds():
    user, someone_else = UserFactory(), UserFactory()
    album = AlbumFactory()
    first, second = SongFactory.create_batch(2, album=album, artist=album.artist)
    SongFactory(album=album, artist=album.artist, is_public=False)
    AlbumLikeFactory(user=user, album=album)
    AlbumLikeFactory(user=someone_else, album=AlbumFactory())
    added = PlaylistSongFactory(playlist__owner=user).song

    table = selectors.interaction_table(user_ids=[user.pk])

    assert weights(table, user) == {
        first.pk: (2.0, selectors.LIKED),
        second.pk: (2.0, selectors.LIKED),
        added.pk: (3.0, selectors.PLAYLISTED),
    }


def test_everyone_when_no_users_given():
    alice, bob = UserFactory(), UserFactory()
    song = SongFactory()
    ListeningEventFactory(user=alice, song=song)
    UserSongDailyStatsFactory(user=bob, song=song, plays=1)

    table = selectors.interaction_table()

    assert sorted(table.users.tolist()) == sorted([alice.pk, bob.pk])


def test_recent_skips_come_from_rollups_and_tail():
    user = UserFactory()
    a, b, c = SongFactory.create_batch(3)
    today = timezone.now().date()
    UserSongDailyStatsFactory(user=user, song=a, day=today - timedelta(days=3), skips=1)
    UserSongDailyStatsFactory(user=user, song=b, day=today - timedelta(days=30), skips=5)
    ListeningEventFactory(user=user, song=c, action=Action.SKIP)

    assert selectors.recently_skipped_songs(user_ids=[user.pk]) == {user.pk: {a.pk, c.pk}}


def test_active_users_are_those_with_events_in_the_last_days():
    today = timezone.now().date()
    rolled, tail, idle = UserFactory(), UserFactory(), UserFactory()
    for user, days in [(rolled, 2), (idle, 20)]:
        UserDailyStats.objects.create(
            user=user,
            day=today - timedelta(days=days),
            first_event_at=timezone.now(),
            last_event_at=timezone.now(),
        )
    ListeningEventFactory(user=tail)

    assert selectors.active_user_ids(days=7) == sorted([rolled.pk, tail.pk])
