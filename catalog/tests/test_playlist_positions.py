"""Positions a caller sees are counted over the songs they may see: no gaps where hidden songs
are, reorders and inserts land where the caller asked, and no error reveals hidden songs.
The playlist's ETag changes when its collaborators change."""

import pytest

from catalog.models import PlaylistSong
from catalog.services import playlists as playlist_services
from catalog.tests.factories import PlaylistFactory, SongFactory
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    """A public playlist of six songs in order s0..s5, then s1 and s3 hidden by staff."""
    owner = UserFactory(username="owner")
    friend = UserFactory(username="friend")
    playlist = PlaylistFactory(owner=owner, is_public=True, collaborators=[friend])
    songs = SongFactory.create_batch(6)
    PlaylistSong.objects.bulk_create(
        PlaylistSong(playlist=playlist, song=song, position=i, added_by=owner)
        for i, song in enumerate(songs)
    )
    for hidden in (songs[1], songs[3]):
        hidden.is_visible = False
        hidden.save(update_fields=["is_visible"])
    return playlist, songs, friend


def url(playlist, song=None) -> str:
    base = f"/api/v1/playlists/{playlist.pk}/songs/"
    return f"{base}{song.pk}/" if song is not None else base


def seen(client, playlist) -> list[tuple[int, int]]:
    body = client.get(url(playlist), {"limit": 100}).json()
    return [(entry["position"], entry["song"]["id"]) for entry in body["results"]]


def stored(playlist) -> list[int]:
    return list(
        PlaylistSong.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("song_id", flat=True)
    )


def assert_stored_contiguous(playlist):
    found = list(
        PlaylistSong.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert found == list(range(len(found)))


def test_positions_are_contiguous_over_what_the_caller_sees(setup, client_for):
    playlist, s, friend = setup
    expected = [(0, s[0].pk), (1, s[2].pk), (2, s[4].pk), (3, s[5].pk)]
    for caller in (None, UserFactory(), friend):
        assert seen(client_for(caller), playlist) == expected
    # Staff see every song, numbered over all of them.
    assert seen(client_for(EditorFactory()), playlist) == [(i, song.pk) for i, song in enumerate(s)]
    # Pages keep counting: the second page starts where the first stopped.
    page = client_for(None).get(url(playlist), {"limit": 2, "offset": 2}).json()["results"]
    assert [(e["position"], e["song"]["id"]) for e in page] == expected[2:]


def test_the_export_document_numbers_what_its_requester_sees(setup):
    from catalog import selectors

    playlist, s, friend = setup
    document = selectors.playlist_export_document(playlist=playlist, user=friend)
    assert [(row["position"], row["id"]) for row in document["songs"]] == [
        (0, s[0].pk), (1, s[2].pk), (2, s[4].pk), (3, s[5].pk),
    ]  # fmt: skip


def test_a_move_lands_at_the_visible_position_asked(setup, client_for):
    playlist, s, friend = setup
    client = client_for(friend)
    response = client.patch(url(playlist, s[5]), {"position": 1})
    assert response.status_code == 200, response.json()
    assert [(e["position"], e["song"]["id"]) for e in response.json()["entries"]] == [(1, s[5].pk)]
    assert seen(client, playlist) == [(0, s[0].pk), (1, s[5].pk), (2, s[2].pk), (3, s[4].pk)]
    assert_stored_contiguous(playlist)
    # Hidden songs keep their order relative to each other.
    order = stored(playlist)
    assert order.index(s[1].pk) < order.index(s[3].pk)

    assert client.patch(url(playlist, s[0]), {"position": 3}).status_code == 200
    assert seen(client, playlist) == [(0, s[5].pk), (1, s[2].pk), (2, s[4].pk), (3, s[0].pk)]
    assert client.patch(url(playlist, s[0]), {"position": 0}).status_code == 200
    assert seen(client, playlist) == [(0, s[0].pk), (1, s[5].pk), (2, s[2].pk), (3, s[4].pk)]
    assert_stored_contiguous(playlist)


def test_moving_to_where_it_already_is_changes_nothing(setup, client_for):
    playlist, s, friend = setup
    before, snapshot = stored(playlist), playlist.snapshot_id
    assert client_for(friend).patch(url(playlist, s[5]), {"position": 3}).status_code == 200
    playlist.refresh_from_db()
    assert stored(playlist) == before and playlist.snapshot_id == snapshot


def test_an_insert_lands_at_the_visible_position_asked(setup, client_for):
    playlist, s, friend = setup
    new = SongFactory()
    response = client_for(friend).post(url(playlist), {"song_id": new.pk, "position": 2})
    assert response.status_code == 201, response.json()
    assert [(e["position"], e["song"]["id"]) for e in response.json()["entries"]] == [(2, new.pk)]
    assert seen(client_for(friend), playlist) == [
        (0, s[0].pk), (1, s[2].pk), (2, new.pk), (3, s[4].pk), (4, s[5].pk),
    ]  # fmt: skip
    last = SongFactory()
    response = client_for(friend).post(url(playlist), {"song_id": last.pk, "position": 5})
    assert response.status_code == 201
    assert response.json()["entries"][0]["position"] == 5
    assert_stored_contiguous(playlist)


def test_out_of_range_errors_count_only_visible_songs(setup, client_for):
    playlist, s, friend = setup
    client = client_for(friend)
    before = stored(playlist)
    response = client.patch(url(playlist, s[0]), {"position": 4})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "max_value", "detail": "Must be between 0 and 3.", "attr": "position"}
    ]
    new = SongFactory()
    response = client.post(url(playlist), {"song_id": new.pk, "position": 5})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "max_value", "detail": "Must be between 0 and 4.", "attr": "position"}
    ]
    assert stored(playlist) == before  # nothing half-written


def test_hidden_songs_are_404_and_a_full_playlist_does_not_say_how_full(
    setup, client_for, monkeypatch
):
    playlist, s, friend = setup
    client = client_for(friend)
    assert client.patch(url(playlist, s[1]), {"position": 0}).status_code == 404
    assert client.delete(url(playlist, s[3])).status_code == 404
    monkeypatch.setattr(playlist_services, "MAX_PLAYLIST_SONGS", 6)
    response = client.post(url(playlist), {"song_id": SongFactory().pk})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "playlist_full",
            "detail": "A playlist holds at most 6 songs.",
            "attr": "song_ids",
        }
    ]
    assert len(stored(playlist)) == 6


def test_the_etag_changes_when_collaborators_change(client_for):
    owner = UserFactory()
    playlist = PlaylistFactory(owner=owner)
    client = client_for(owner)
    detail = f"/api/v1/playlists/{playlist.pk}/"
    first = client.get(detail)["ETag"]
    newcomer = UserFactory()
    added = client.post(f"{detail}collaborators/", {"user_id": newcomer.pk})
    assert added.status_code == 201
    second = client.get(detail)
    assert second["ETag"] != first
    assert second.json()["collaborators"] == [{"id": newcomer.pk, "username": newcomer.username}]
    assert client.get(detail, HTTP_IF_NONE_MATCH=first).status_code == 200
    # Adding again changes nothing, so neither does the ETag.
    assert client.post(f"{detail}collaborators/", {"user_id": newcomer.pk}).status_code == 200
    assert client.get(detail)["ETag"] == second["ETag"]
    assert client.delete(f"{detail}collaborators/{newcomer.pk}/").status_code == 204
    third = client.get(detail)
    assert third["ETag"] not in (first, second["ETag"]) and third.json()["collaborators"] == []
