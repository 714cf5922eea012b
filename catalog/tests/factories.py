import factory
from django.utils.text import slugify

from catalog.models import (
    Album,
    AlbumLike,
    Artist,
    Genre,
    Playlist,
    PlaylistActivity,
    PlaylistSong,
    Song,
)
from users.tests.factories import ArtistUserFactory, UserFactory


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artist
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Artist {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    bio = "Makes music."

    @factory.post_generation
    def genres(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.genres.set(extracted)


class OwnedArtistFactory(ArtistFactory):
    user = factory.SubFactory(ArtistUserFactory)


class AlbumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Album

    title = factory.Sequence(lambda n: f"Album {n}")
    artist = factory.SubFactory(ArtistFactory)
    year = 2020
    genre = factory.SubFactory(GenreFactory)


class SongFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Song

    title = factory.Sequence(lambda n: f"Song {n}")
    artist = factory.SubFactory(ArtistFactory)
    album = factory.SubFactory(AlbumFactory, artist=factory.SelfAttribute("..artist"))
    genre = factory.LazyAttribute(lambda o: o.album.genre if o.album else None)
    year = 2020
    duration_ms = 200_000
    track_number = factory.Sequence(lambda n: n % 20 + 1)
    popularity = factory.Sequence(lambda n: n % 101)
    acousticness = factory.Sequence(lambda n: (n * 37 % 100) / 100)
    danceability = factory.Sequence(lambda n: (n * 53 % 100) / 100)
    energy = factory.Sequence(lambda n: (n * 71 % 100) / 100)
    instrumentalness = 0.0
    liveness = 0.1
    speechiness = 0.05
    valence = factory.Sequence(lambda n: (n * 29 % 100) / 100)
    loudness = -6.0
    tempo = factory.Sequence(lambda n: 80.0 + n % 100)
    key = factory.Sequence(lambda n: n % 12)
    mode = factory.Sequence(lambda n: n % 2)


class PlaylistFactory(factory.django.DjangoModelFactory):
    """``PlaylistFactory(songs=[...], collaborators=[...])`` fills positions 0..n-1."""

    class Meta:
        model = Playlist
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Playlist {n}")

    @factory.post_generation
    def collaborators(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.collaborators.set(extracted)

    @factory.post_generation
    def songs(obj, create, extracted, **kwargs):
        if create and extracted:
            PlaylistSong.objects.bulk_create(
                [
                    PlaylistSong(playlist=obj, song=song, position=i, added_by=obj.owner)
                    for i, song in enumerate(extracted)
                ]
            )


class PlaylistSongFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaylistSong

    playlist = factory.SubFactory(PlaylistFactory)
    song = factory.SubFactory(SongFactory)
    position = factory.Sequence(lambda n: n)
    added_by = factory.SelfAttribute("playlist.owner")


class AlbumLikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlbumLike

    user = factory.SubFactory(UserFactory)
    album = factory.SubFactory(AlbumFactory)


class PlaylistActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaylistActivity

    playlist = factory.SubFactory(PlaylistFactory)
    user = factory.SelfAttribute("playlist.owner")
    song = factory.SubFactory(SongFactory)
    action = PlaylistActivity.Action.ADD
