"""A demo catalog for ``make run``: users of every role, artists, albums with covers, songs
with audio features, playlists with collaborators, and album likes.

Everything is generated here (no external files) from a fixed random seed, and the seed is
idempotent: running it again finds what exists and adds only what is missing. Other apps
call ``seed_catalog_demo()`` and build on the ids it returns (events, recommendations).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw

from catalog import services
from catalog.caching import catalog_changed
from catalog.models import Album, AlbumLike, Artist, Genre, Playlist, PlaylistSong, Song
from users.models import Role, User

DEMO_PASSWORD = "demo-password-2024"
SEED = 20240611

DEMO_USERS = [
    # username, role, display name
    ("alice", Role.LISTENER, "Alice Listener"),
    ("bob", Role.LISTENER, "Bob Listener"),
    ("carol", Role.LISTENER, "Carol Listener"),
    ("dave", Role.LISTENER, "Dave Listener"),
    ("nova", Role.ARTIST, "Nova Lights (artist account)"),
    ("editor", Role.EDITOR, "Eddie Editor"),
    ("admin", Role.ADMIN, "Ada Admin"),
]

GENRES = [
    ("pop", "Pop"),
    ("rock", "Rock"),
    ("hip-hop", "Hip-Hop"),
    ("electronic", "Electronic"),
    ("jazz", "Jazz"),
    ("r-and-b", "R&B"),
    ("latin", "Latin"),
    ("indie", "Indie"),
    ("classical", "Classical"),
    ("lofi", "Lofi"),
    ("folk", "Folk"),
    ("metal", "Metal"),
]

# Typical ranges per genre: (danceability, energy, acousticness, valence, tempo, loudness).
GENRE_PROFILES = {
    "pop": (0.70, 0.68, 0.15, 0.60, 118, -5.5),
    "rock": (0.50, 0.82, 0.08, 0.50, 128, -5.0),
    "hip-hop": (0.78, 0.65, 0.12, 0.48, 96, -6.0),
    "electronic": (0.72, 0.85, 0.03, 0.45, 126, -5.0),
    "jazz": (0.55, 0.35, 0.70, 0.55, 110, -12.0),
    "r-and-b": (0.68, 0.55, 0.25, 0.52, 98, -7.0),
    "latin": (0.80, 0.75, 0.18, 0.72, 100, -5.0),
    "indie": (0.55, 0.58, 0.30, 0.45, 120, -7.5),
    "classical": (0.25, 0.15, 0.95, 0.25, 90, -20.0),
    "lofi": (0.65, 0.30, 0.70, 0.40, 82, -13.0),
    "folk": (0.50, 0.38, 0.80, 0.48, 108, -10.0),
    "metal": (0.40, 0.95, 0.01, 0.30, 140, -4.0),
}

# name, genres, bio, owned by the artist account
ARTISTS = [
    ("Nova Lights", ["electronic", "pop"], "Synth-pop duo from Rotterdam.", True),
    ("The Paper Harbours", ["indie", "rock"], "Four friends, one garage, too many pedals.", False),
    ("Mara Quinteros", ["latin", "pop"], "Cumbia-pop singer and songwriter from Rosario.", False),
    ("Blue Hour Trio", ["jazz"], "Piano, double bass and brushes.", False),
    ("Kid Meridian", ["hip-hop"], "Rapper and producer from Atlanta.", False),
    ("Saffron Vale", ["r-and-b", "pop"], "Velvet vocals over late-night grooves.", False),
    ("Iron Lantern", ["metal", "rock"], "Heavy riffs from the fjords.", False),
    ("Willow & Ash", ["folk", "indie"], "Harmonies recorded in a barn.", False),
    ("Elena Kovač", ["classical"], "Pianist; Chopin, Satie and her own pieces.", False),
    ("Dreamtape", ["lofi", "electronic"], "Beats to study and drift to.", False),
    ("Los Soles Rojos", ["latin"], "Salsa orchestra, twelve members strong.", False),
    ("Static Bloom", ["electronic", "indie"], "Shoegaze meets techno.", False),
]

ADJECTIVES = [
    "Golden", "Midnight", "Electric", "Silent", "Neon", "Paper", "Velvet", "Broken", "Endless",
    "Northern", "Crimson", "Hollow", "Bright", "Lonely", "Wild", "Glass", "Summer", "Distant",
    "Secret", "Falling", "Burning", "Quiet", "Restless", "Sugar",
]  # fmt: skip
NOUNS = [
    "Hearts", "Rivers", "Lights", "Skyline", "Echoes", "Signals", "Horizon", "Gardens", "Waves",
    "Streets", "Mirrors", "Shadows", "Fires", "Letters", "Stars", "Roads", "Dreams", "Islands",
    "Machines", "Voices", "Windows", "Tides", "Colours", "Satellites",
]  # fmt: skip
SONG_PATTERNS = [
    "{adj} {noun}", "The {noun}", "{noun} of {noun2}", "{adj} Again", "Into the {noun}",
    "{verb} Me", "{adj} Love", "Never {verb}", "{noun} (Interlude)", "Last {noun}",
]  # fmt: skip
VERBS = ["Hold", "Call", "Find", "Save", "Leave", "Follow", "Remember", "Wake", "Chase", "Tell"]

PLAYLISTS = [
    # owner, name, description, public, collaborators, genres
    ("alice", "Morning Run", "Fast and bright.", True, ["bob"], ["pop", "electronic", "latin"]),
    ("alice", "Rainy Sundays", "Slow songs for grey days.", False, [], ["folk", "jazz", "lofi"]),
    ("bob", "Late Night Jazz", "Brushes and bass.", False, ["carol"], ["jazz", "r-and-b"]),
    ("carol", "Deep Focus", "No words, just flow.", True, ["alice", "dave"], ["lofi", "classical"]),
    ("dave", "Garage Days", "Loud guitars only.", True, [], ["rock", "metal", "indie"]),
]

Progress = Callable[[str], None]


def cover_png(seed: int, size: int = 512) -> bytes:
    """A generated cover: a two-colour gradient with a few circles, as PNG bytes."""
    rng = random.Random(seed)
    top = tuple(rng.randrange(30, 226) for _ in range(3))
    bottom = tuple(rng.randrange(30, 226) for _ in range(3))
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / (size - 1)
        draw.line(
            [(0, y), (size, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    for _ in range(rng.randrange(2, 6)):
        r = rng.randrange(size // 12, size // 3)
        x, y = rng.randrange(size), rng.randrange(size)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=max(2, r // 8))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return round(max(low, min(high, value)), 3)


def _features(rng: random.Random, genre: str) -> dict:
    dance, energy, acoustic, valence, tempo, loudness = GENRE_PROFILES[genre]
    return {
        "danceability": _clamp(rng.gauss(dance, 0.1)),
        "energy": _clamp(rng.gauss(energy, 0.1)),
        "acousticness": _clamp(rng.gauss(acoustic, 0.1)),
        "valence": _clamp(rng.gauss(valence, 0.15)),
        "instrumentalness": _clamp(
            rng.betavariate(1, 6) if genre not in {"classical", "lofi"} else rng.gauss(0.85, 0.1)
        ),
        "liveness": _clamp(rng.betavariate(2, 10)),
        "speechiness": _clamp(rng.gauss(0.2 if genre == "hip-hop" else 0.05, 0.04)),
        "tempo": round(max(40.0, min(220.0, rng.gauss(tempo, 8))), 3),
        "loudness": round(max(-40.0, min(0.0, rng.gauss(loudness, 1.5))), 3),
        "key": rng.randrange(12),
        "mode": rng.randrange(2),
    }


def _title(rng: random.Random, pattern_pool: list[str]) -> str:
    return rng.choice(pattern_pool).format(
        adj=rng.choice(ADJECTIVES),
        noun=rng.choice(NOUNS),
        noun2=rng.choice(NOUNS),
        verb=rng.choice(VERBS),
    )


def _ensure_users(created: dict) -> dict[str, User]:
    users = {}
    for username, role, display_name in DEMO_USERS:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@demo.music-platform.test")
            created["users"] += 1
        user.role = role
        user.display_name = display_name
        user.is_superuser = role == Role.ADMIN
        user.is_active = True
        user.is_blocked = False
        user.set_password(DEMO_PASSWORD)
        user.save()
        users[username] = user
    return users


def _ensure_catalog(users: dict[str, User], created: dict, progress: Progress) -> list[Album]:
    rng = random.Random(SEED)
    genres = {}
    for slug, name in GENRES:
        genres[slug], was_created = Genre.objects.get_or_create(slug=slug, defaults={"name": name})
        created["genres"] += was_created
    editor = users["editor"]
    albums: list[Album] = []
    isrc_counter = 0
    for a_index, (name, genre_slugs, bio, owned) in enumerate(ARTISTS):
        slug = f"demo-{slugify(name.replace('&', ' and '))}"
        artist, was_created = Artist.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "bio": bio, "user": users["nova"] if owned else None},
        )
        created["artists"] += was_created
        artist.genres.add(*[genres[g] for g in genre_slugs])
        album_count = 2 + a_index % 2
        for b_index in range(album_count):
            genre = genres[genre_slugs[b_index % len(genre_slugs)]]
            year = 2024 - (a_index * 3 + b_index * 4) % 28
            title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            # Some content for the visibility rules: an unreleased album (private, owner's
            # switch) and one hidden by staff.
            is_public = not (owned and b_index == album_count - 1)
            is_visible = not (name == "Iron Lantern" and b_index == 1)
            album, was_created = Album.objects.get_or_create(
                artist=artist,
                title=title,
                defaults={
                    "year": year,
                    "release_date": date(year, 1 + (a_index + b_index) % 12, 1 + b_index * 7),
                    "genre": genre,
                    "is_public": is_public,
                    "is_visible": is_visible,
                    "created_by": users["nova"] if owned else editor,
                },
            )
            created["albums"] += was_created
            albums.append(album)
            if not album.cover:
                upload = SimpleUploadedFile(
                    "cover.png", cover_png(SEED + a_index * 10 + b_index), "image/png"
                )
                services.album_cover_set(user=editor, album=album, upload=upload)
            track_count = 6 + (a_index + b_index) % 5
            new_songs = []
            existing = set(album.songs.values_list("track_number", flat=True))
            for track in range(1, track_count + 1):
                isrc_counter += 1
                song_title = _title(rng, SONG_PATTERNS)
                features = _features(rng, genre.slug)
                duration = int(rng.gauss(215_000, 40_000))
                popularity = max(0, min(100, int(rng.gauss(55 - a_index * 2, 18))))
                explicit = genre.slug == "hip-hop" and rng.random() < 0.5
                if track in existing:
                    continue
                new_songs.append(
                    Song(
                        title=song_title,
                        artist=artist,
                        album=album,
                        track_number=track,
                        genre=genre,
                        year=year,
                        duration_ms=max(60_000, duration),
                        isrc=f"QZDMO{year % 100:02d}{isrc_counter:05d}",
                        explicit=explicit,
                        popularity=popularity,
                        # One hidden track per few albums, so staff see more than listeners.
                        is_visible=not (track == track_count and b_index == 0 and a_index % 4 == 1),
                        **features,
                    )
                )
            Song.objects.bulk_create(new_songs)
            catalog_changed()  # bulk_create sends no model signals
            created["songs"] += len(new_songs)
        # A single (no album) per artist.
        single_title = f"{_title(rng, SONG_PATTERNS)} (Single)"
        features = _features(rng, genre_slugs[0])
        _, was_created = Song.objects.get_or_create(
            artist=artist,
            album=None,
            title=single_title,
            defaults={
                "genre": genres[genre_slugs[0]],
                "year": 2024,
                "duration_ms": 190_000 + a_index * 1000,
                "popularity": 60 + a_index,
                **features,
            },
        )
        created["songs"] += was_created
        progress(f"artist {name}: {album_count} albums")
    return albums


def _ensure_playlists(users: dict[str, User], created: dict) -> list[Playlist]:
    rng = random.Random(SEED + 1)
    playlists = []
    for owner_name, name, description, is_public, collaborators, genre_slugs in PLAYLISTS:
        owner = users[owner_name]
        playlist = Playlist.objects.filter(owner=owner, name=name).first()
        if playlist is None:
            playlist = services.playlist_create(
                owner=owner, name=name, description=description, is_public=is_public
            )
            created["playlists"] += 1
        for collaborator in collaborators:
            services.playlist_add_collaborator(
                user=owner, playlist=playlist, collaborator_id=users[collaborator].pk
            )
        if not PlaylistSong.objects.filter(playlist=playlist).exists():
            candidates = list(
                Song.objects.visible()
                .filter(genre__slug__in=genre_slugs)
                .order_by("id")
                .values_list("pk", flat=True)
            )
            picks = rng.sample(candidates, min(len(candidates), 12))
            # The owner adds most songs; collaborators add a few (the activity log shows both).
            editors = [owner, *(users[c] for c in collaborators)]
            for start in range(0, len(picks), 4):
                adder = editors[(start // 4) % len(editors)]
                services.playlist_add_songs(
                    user=adder, playlist=playlist, song_ids=picks[start : start + 4]
                )
            if len(picks) > 3:  # a reorder and a removal, as real use would leave behind
                services.playlist_move_song(
                    user=owner, playlist=playlist, song_id=picks[-1], position=0
                )
                services.playlist_remove_song(user=owner, playlist=playlist, song_id=picks[1])
        playlists.append(playlist)
    return playlists


def _ensure_likes(users: dict[str, User], albums: list[Album], created: dict) -> int:
    rng = random.Random(SEED + 2)
    public_albums = [a for a in albums if a.is_public and a.is_visible]
    for username in ("alice", "bob", "carol", "dave"):
        for album in rng.sample(public_albums, min(len(public_albums), 3 + len(username))):
            created["album_likes"] += services.album_like(user=users[username], album=album)
    return AlbumLike.objects.filter(user__username__in=["alice", "bob", "carol", "dave"]).count()


def seed_catalog_demo(*, progress: Progress | None = None) -> dict:
    """Create (or complete) the demo data; return what exists and what this run created.

    The result holds ``users`` (username -> id, role, password), the ids of the demo
    listeners, songs, albums and playlists, and ``created`` counts for this run.
    """
    progress = progress or (lambda message: None)
    created = dict.fromkeys(
        ["users", "genres", "artists", "albums", "songs", "playlists", "album_likes"], 0
    )
    with transaction.atomic():
        users = _ensure_users(created)
        albums = _ensure_catalog(users, created, progress)
        playlists = _ensure_playlists(users, created)
        likes = _ensure_likes(users, albums, created)
    artist_ids = list(Artist.objects.filter(slug__startswith="demo-").values_list("pk", flat=True))
    song_ids = list(
        Song.objects.filter(artist_id__in=artist_ids).order_by("id").values_list("pk", flat=True)
    )
    # Audio (issue 16): a few songs get synthesised music, processed here, so they play.
    from catalog.audio.demo import seed_catalog_demo_audio

    songs_with_audio = seed_catalog_demo_audio(
        artist_ids=artist_ids, uploader=users["editor"], progress=progress
    )
    return {
        "password": DEMO_PASSWORD,
        "users": {
            u.username: {"id": u.pk, "role": u.role, "password": DEMO_PASSWORD}
            for u in users.values()
        },
        "listener_ids": [u.pk for u in users.values() if u.role == Role.LISTENER],
        "artist_user_id": users["nova"].pk,
        "artist_ids": artist_ids,
        "album_ids": [a.pk for a in albums],
        "song_ids": song_ids,
        "songs_with_audio": songs_with_audio,
        "playlist_ids": [p.pk for p in playlists],
        "album_likes": likes,
        "created": created,
        "totals": {
            "genres": Genre.objects.count(),
            "artists": len(artist_ids),
            "albums": len(albums),
            "songs": len(song_ids),
            "playlists": len(playlists),
        },
    }
