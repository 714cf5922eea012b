import factory
from django.utils import timezone

from analytics.models import Action, ListeningEvent, SongDailyStats, UserSongDailyStats
from catalog.tests.factories import SongFactory
from charts.models import Chart, ChartEntry, ChartSnapshot, ChartTrack
from recommendations.models import UserPreferences
from users.tests.factories import UserFactory


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


class ListeningEventFactory(factory.django.DjangoModelFactory):
    """A raw event; with no rollup watermark every event is in the "tail"."""

    class Meta:
        model = ListeningEvent

    user = factory.SubFactory(UserFactory)
    song = factory.SubFactory(SongFactory)
    action = Action.PLAY
    occurred_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyFunction(timezone.now)


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


class ChartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chart

    slug = factory.Sequence(lambda n: f"chart-{n}")
    name = factory.Sequence(lambda n: f"Top songs {n}")
    source = "spotify"
    country = "us"


class ChartTrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChartTrack

    song = factory.SubFactory(SongFactory)
    key = factory.Sequence(lambda n: f"spotify:track{n}")
    title = factory.LazyAttribute(lambda o: o.song.title)
    artist_name = factory.LazyAttribute(lambda o: o.song.artist.name)
    name_key = factory.LazyAttribute(lambda o: o.title.lower())
    artist_key = factory.LazyAttribute(lambda o: o.artist_name.lower())


class ChartSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChartSnapshot

    chart = factory.SubFactory(ChartFactory)
    date = factory.LazyFunction(lambda: timezone.now().date())
    fetched_at = factory.LazyFunction(timezone.now)
    checksum = factory.Sequence(lambda n: f"{n:064d}")


class ChartEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChartEntry

    snapshot = factory.SubFactory(ChartSnapshotFactory)
    track = factory.SubFactory(ChartTrackFactory)
    song = factory.SelfAttribute("track.song")
    position = factory.Sequence(lambda n: n % 100 + 1)
    title = factory.LazyAttribute(lambda o: o.track.title)
    artist_name = factory.LazyAttribute(lambda o: o.track.artist_name)
    peak_position = factory.SelfAttribute("position")
    days_on_chart = 1
