"""Factories of recommendation rows, and the analytics and charts rows its tests need
(one factory per model: those apps' own are imported, not copied)."""

import factory
from django.utils import timezone

from analytics.models import SongDailyStats, UserSongDailyStats
from catalog.tests.factories import SongFactory
from charts.models import ChartEntry, ChartSnapshot
from charts.tests.factories import ChartFactory, ChartTrackFactory
from recommendations.models import UserPreferences
from users.tests.factories import UserFactory

__all__ = [
    "ChartEntryFactory",
    "ChartSnapshotFactory",
    "SongChartTrackFactory",
    "SongDailyStatsFactory",
    "UserPreferencesFactory",
    "UserSongDailyStatsFactory",
]


class UserPreferencesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserPreferences
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    moods = factory.LazyFunction(list)

    @factory.post_generation
    def favorite_genres(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.favorite_genres.set(extracted)

    @factory.post_generation
    def favorite_artists(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.favorite_artists.set(extracted)


class UserSongDailyStatsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserSongDailyStats

    user = factory.SubFactory(UserFactory)
    song = factory.SubFactory(SongFactory)
    day = factory.LazyFunction(lambda: timezone.now().date())


class SongDailyStatsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SongDailyStats

    song = factory.SubFactory(SongFactory)
    day = factory.LazyFunction(lambda: timezone.now().date())


class SongChartTrackFactory(ChartTrackFactory):
    """A chart track matched to a catalog song (charts' own factory leaves it unmatched)."""

    song = factory.SubFactory(SongFactory)
    title = factory.LazyAttribute(lambda o: o.song.title)
    artist_name = factory.LazyAttribute(lambda o: o.song.artist.name)
    name_key = factory.LazyAttribute(lambda o: o.title.lower())
    artist_key = factory.LazyAttribute(lambda o: o.artist_name.lower())


# Snapshot and entry rows for the odd test that needs them without an ingest (charts' own
# tests ingest through the real service, so charts has no factory for them).
class ChartSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChartSnapshot

    # The model's default size: momentum scores in the tests are computed against it.
    chart = factory.SubFactory(ChartFactory, size=100)
    date = factory.LazyFunction(lambda: timezone.now().date())
    fetched_at = factory.LazyFunction(timezone.now)
    checksum = factory.Sequence(lambda n: f"{n:064d}")


class ChartEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChartEntry

    snapshot = factory.SubFactory(ChartSnapshotFactory)
    track = factory.SubFactory(SongChartTrackFactory)
    song = factory.SelfAttribute("track.song")
    position = factory.Sequence(lambda n: n % 100 + 1)
    title = factory.LazyAttribute(lambda o: o.track.title)
    artist_name = factory.LazyAttribute(lambda o: o.track.artist_name)
    peak_position = factory.SelfAttribute("position")
    days_on_chart = 1
