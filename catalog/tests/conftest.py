"""Fixtures for catalog tests: one user per role and content in every visibility state."""

from dataclasses import dataclass

import pytest

from catalog.models import Album, Artist, Song
from catalog.tests.factories import AlbumFactory, OwnedArtistFactory, SongFactory
from users.tests.factories import AdminFactory, ArtistUserFactory, EditorFactory, UserFactory


@dataclass
class Cast:
    listener: object
    owner: object  # artist account owning ``artist``
    other_artist_user: object  # artist account owning ``other_artist``
    editor: object
    admin: object
    artist: Artist
    other_artist: Artist

    def by_role(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


ROLES = ["anonymous", "listener", "owner", "other_artist_user", "editor", "admin"]
INSIDERS = {"owner", "editor", "admin"}


@pytest.fixture
def cast(db) -> Cast:
    owner = ArtistUserFactory(username="owner")
    other = ArtistUserFactory(username="other_artist")
    return Cast(
        listener=UserFactory(username="listener"),
        owner=owner,
        other_artist_user=other,
        editor=EditorFactory(username="editor"),
        admin=AdminFactory(username="admin"),
        artist=OwnedArtistFactory(name="Owned Artist", user=owner),
        other_artist=OwnedArtistFactory(name="Other Artist", user=other),
    )


@dataclass
class Content:
    public_album: Album
    private_album: Album
    hidden_album: Album
    public_song: Song
    private_song: Song  # song's own switch off, in the public album
    hidden_song: Song  # staff hid it, in the public album
    song_in_hidden_album: Song
    song_in_private_album: Song


@pytest.fixture
def content(cast) -> Content:
    artist = cast.artist
    public_album = AlbumFactory(artist=artist, title="Public Album")
    private_album = AlbumFactory(artist=artist, title="Private Album", is_public=False)
    hidden_album = AlbumFactory(artist=artist, title="Hidden Album", is_visible=False)
    return Content(
        public_album=public_album,
        private_album=private_album,
        hidden_album=hidden_album,
        public_song=SongFactory(
            artist=artist, album=public_album, title="Public Song", track_number=1
        ),
        private_song=SongFactory(
            artist=artist, album=public_album, title="Private Song", is_public=False, track_number=2
        ),
        hidden_song=SongFactory(
            artist=artist, album=public_album, title="Hidden Song", is_visible=False, track_number=3
        ),
        song_in_hidden_album=SongFactory(artist=artist, album=hidden_album, title="Buried Song"),
        song_in_private_album=SongFactory(artist=artist, album=private_album, title="Secret Song"),
    )
