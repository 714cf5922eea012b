"""Charts show a catalog song only to callers who may see it at /songs/{id}/ (one rule, in
catalog.selectors): every song in every visibility state, for every role, on every chart
endpoint that names songs. A song the caller may not see is shown like an unmatched entry
(`song: null`), and its history by id is a 404."""

from datetime import date

import pytest
from django.urls import reverse

from charts.models import ChartTrack
from charts.services import chart_track_resolve
from conftest import ROLES

from .factories import ChartFactory, ingest

pytestmark = pytest.mark.django_db

SONGS = [
    "public_song",
    "private_song",
    "hidden_song",
    "song_in_hidden_album",
    "song_in_private_album",
]
D1, D2, D3 = date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)


@pytest.fixture
def chart(content):
    """Day 1: the five songs, then an unmatched track; day 2: the same in reverse (everyone
    moves); day 3: only the unmatched track (the five songs are dropped)."""
    chart = ChartFactory(slug="vis")
    ingest(
        chart, {D1: [*SONGS, "unmatched"], D2: ["unmatched", *reversed(SONGS)], D3: ["unmatched"]}
    )
    for name in SONGS:
        chart_track_resolve(
            track=ChartTrack.objects.get(key=f"spotify:id-{name}"), song=getattr(content, name)
        )
    return chart


def _song_of(results, title):
    [found] = [r for r in results if r["title"] == title]
    return found


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", SONGS)
def test_charts_agree_with_the_song_endpoint(client_for, cast, content, chart, role, name):
    client = client_for(cast.by_role(role))
    song = getattr(content, name)
    detail = client.get(f"/api/v1/songs/{song.pk}/")
    assert detail.status_code in (200, 404)
    sees = detail.status_code == 200
    shown = song.pk if sees else None

    day2 = client.get(reverse("chart-day", kwargs={"slug": "vis", "day": D2.isoformat()})).json()
    assert _song_of(day2["results"], name)["song"] == shown
    # The artist is public catalog data: it stays, as on an unmatched entry linked to one.
    assert _song_of(day2["results"], name)["artist"] == song.artist_id
    assert _song_of(day2["results"], "unmatched")["song"] is None

    dropped = client.get(
        reverse("chart-dropped", kwargs={"slug": "vis", "day": D3.isoformat()})
    ).json()
    assert _song_of(dropped["results"], name)["song"] == shown

    movers = [
        client.get(
            reverse("chart-movers", kwargs={"slug": "vis"}),
            {"date": D2.isoformat(), "direction": direction},
        ).json()["results"]
        for direction in ("up", "down")
    ]
    assert _song_of(movers[0] + movers[1], name)["song"] == shown

    history = client.get(reverse("chart-history", kwargs={"slug": "vis"}), {"song": song.pk})
    assert history.status_code == detail.status_code
    if sees:
        position = SONGS.index(name) + 1
        assert history.json() == [
            {"date": "2024-05-01", "position": position},
            {"date": "2024-05-02", "position": 7 - position},
        ]
    else:
        assert history.json()["errors"][0]["code"] == "not_found"


def test_whole_entry_of_a_song_the_caller_may_not_see(api_client, content, chart):
    """The shape is that of an unmatched entry: only `song` is null."""
    results = api_client.get(
        reverse("chart-day", kwargs={"slug": "vis", "day": D1.isoformat()})
    ).json()["results"]
    hidden = _song_of(results, "song_in_hidden_album")
    assert hidden == {
        "position": 4,
        "title": "song_in_hidden_album",
        "artist_name": "Artist of song_in_hidden_album",
        "song": None,
        "artist": content.song_in_hidden_album.artist_id,
        "previous_position": None,
        "movement": None,
        "is_new": True,
        "is_reentry": False,
        "peak_position": 4,
        "days_on_chart": 1,
        "streams": None,
        "explicit": None,
        "url": "",
        "artwork_url": "",
    }
    assert _song_of(results, "public_song")["song"] == content.public_song.pk


@pytest.mark.parametrize("role", ROLES)
def test_artist_ranking_is_the_same_for_everyone(client_for, cast, chart, role):
    """The ranking names artists (public) and counts chart entries (public); it names no
    song, so what a caller may see of the catalog does not change it."""
    anonymous = client_for(None).get(reverse("chart-artists", kwargs={"slug": "vis"})).json()
    body = client_for(cast.by_role(role)).get(reverse("chart-artists", kwargs={"slug": "vis"}))
    assert body.json() == anonymous
    assert anonymous["count"] == 6
