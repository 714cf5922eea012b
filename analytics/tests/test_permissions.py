import pytest

from analytics.tests.factories import ListeningEventFactory
from catalog.selectors import songs_visible_to
from catalog.tests.factories import ArtistFactory, OwnedArtistFactory, SongFactory
from conftest import INSIDERS, ROLES
from users.tests.factories import ArtistUserFactory, UserFactory

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/analytics/summary/"
EVENTS = "/api/v1/analytics/events/"
TRENDS = "/api/v1/analytics/trends/"


@pytest.mark.parametrize("url", [SUMMARY, EVENTS])
def test_listeners_and_artists_cannot_read_summary_or_events(client_for, listener, url):
    assert client_for(listener).get(url).status_code == 403
    assert client_for(ArtistUserFactory()).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 401


@pytest.mark.parametrize("url", [SUMMARY, EVENTS, TRENDS])
def test_editors_and_admins_read_platform_figures(client_for, editor, admin_user, url):
    assert client_for(editor).get(url).status_code == 200
    assert client_for(admin_user).get(url).status_code == 200


def test_trends_need_an_account(client_for, listener):
    assert client_for(None).get(TRENDS).status_code == 401
    assert client_for(listener).get(TRENDS).status_code == 200


def test_listeners_do_not_see_hidden_songs_in_trends(client_for, listener, editor):
    hidden = SongFactory(is_visible=False)
    shown = SongFactory()
    ListeningEventFactory(song=hidden)
    ListeningEventFactory(song=shown)
    mine = [s["song"]["id"] for s in client_for(listener).get(TRENDS).json()["songs"]]
    staff = [s["song"]["id"] for s in client_for(editor).get(TRENDS).json()["songs"]]
    assert mine == [shown.id]
    assert sorted(staff) == sorted([hidden.id, shown.id])


def test_a_user_reads_only_their_own_engagement(client_for, listener):
    other = UserFactory()
    assert client_for(listener).get(f"/api/v1/analytics/users/{listener.id}/").status_code == 200
    response = client_for(listener).get(f"/api/v1/analytics/users/{other.id}/")
    assert response.status_code == 403
    assert response.json()["type"] == "client_error"
    assert client_for(None).get(f"/api/v1/analytics/users/{listener.id}/").status_code == 401
    # Not revealing who exists: an unknown id is refused the same way.
    assert client_for(listener).get("/api/v1/analytics/users/999999/").status_code == 403


def test_staff_read_anyone_and_get_404_for_unknown_users(client_for, listener, editor):
    assert client_for(editor).get(f"/api/v1/analytics/users/{listener.id}/").status_code == 200
    assert client_for(editor).get("/api/v1/analytics/users/999999/").status_code == 404
    huge = "/api/v1/analytics/users/99999999999999999999999/"
    assert client_for(editor).get(huge).status_code == 404


def test_an_artist_reads_only_their_own_artist(client_for, listener, editor, admin_user):
    mine = OwnedArtistFactory()
    theirs = OwnedArtistFactory()
    unowned = ArtistFactory()
    owner = client_for(mine.user)
    assert owner.get(f"/api/v1/analytics/artists/{mine.id}/").status_code == 200
    assert owner.get(f"/api/v1/analytics/artists/{theirs.id}/").status_code == 403
    assert owner.get(f"/api/v1/analytics/artists/{unowned.id}/").status_code == 403
    assert client_for(listener).get(f"/api/v1/analytics/artists/{mine.id}/").status_code == 403
    assert client_for(editor).get(f"/api/v1/analytics/artists/{mine.id}/").status_code == 200
    assert client_for(admin_user).get(f"/api/v1/analytics/artists/{mine.id}/").status_code == 200
    assert client_for(editor).get("/api/v1/analytics/artists/999999/").status_code == 404
    assert client_for(None).get(f"/api/v1/analytics/artists/{mine.id}/").status_code == 401


def test_artist_figures_include_their_hidden_songs(client_for):
    artist = OwnedArtistFactory()
    hidden = SongFactory(artist=artist, is_public=False)
    ListeningEventFactory(song=hidden)
    body = client_for(artist.user).get(f"/api/v1/analytics/artists/{artist.id}/").json()
    assert body["plays"] == 1
    assert [s["song"]["id"] for s in body["top_songs"]] == [hidden.id]


@pytest.mark.parametrize(
    "params, attr",
    [
        ({"from": "2025-02-01", "to": "2025-01-01"}, "from"),
        ({"from": "2024-01-01", "to": "2025-01-02"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "1999-12-31"}, "to"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "x"}, "limit"),
    ],
)
def test_ranges_are_validated(client_for, editor, params, attr):
    response = client_for(editor).get(SUMMARY, params)
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == [attr]


def test_366_days_is_the_longest_range(client_for, editor):
    response = client_for(editor).get(SUMMARY, {"from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    assert (response.json()["from"], response.json()["to"]) == ("2024-01-01", "2024-12-31")


@pytest.mark.parametrize("role", ROLES[1:])  # trends need an account
def test_trends_show_exactly_the_songs_the_catalog_lets_the_caller_see(
    client_for, cast, content, role
):
    # The one visibility rule (catalog.selectors), in every visibility state and for every
    # role: the owning artist sees their own private and hidden songs, as on /songs/{id}/.
    songs = [
        content.public_song,
        content.private_song,
        content.hidden_song,
        content.song_in_hidden_album,
        content.song_in_private_album,
    ]
    for song in songs:
        ListeningEventFactory(song=song)
    user = cast.by_role(role)
    shown = [s["song"]["id"] for s in client_for(user).get(TRENDS).json()["songs"]]
    expected = {s.id for s in songs_visible_to(user=user).filter(pk__in=[s.id for s in songs])}
    assert sorted(shown) == sorted(expected)
    assert content.public_song.id in shown
    assert (len(shown) == len(songs)) == (role in INSIDERS)
