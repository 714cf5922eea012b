"""Playlist flows: add, reorder, remove, contiguity, collaborators, activities, If-Match."""

import json

import pytest

from catalog import services
from catalog.models import Playlist, PlaylistActivity, PlaylistSong
from catalog.services import playlists as playlist_services
from catalog.tests.factories import PlaylistFactory, SongFactory
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def songs():
    return SongFactory.create_batch(6)


@pytest.fixture
def playlist(owner):
    return PlaylistFactory(owner=owner, name="Road Trip")


def positions(playlist) -> list[tuple[int, int]]:
    return list(
        PlaylistSong.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("position", "song_id")
    )


def assert_contiguous(playlist):
    found = [p for p, _ in positions(playlist)]
    assert found == list(range(len(found)))


def songs_url(playlist, song=None) -> str:
    base = f"/api/v1/playlists/{playlist.pk}/songs/"
    return f"{base}{song.pk}/" if song is not None else base


def test_create_list_and_detail(owner, client_for):
    client = client_for(owner)
    response = client.post(
        "/api/v1/playlists/", {"name": "Mine", "description": "d", "is_public": True}
    )
    assert response.status_code == 201
    body = response.json()
    playlist = Playlist.objects.get(pk=body["id"])
    assert body == {
        "id": playlist.pk,
        "name": "Mine",
        "description": "d",
        "is_public": True,
        "owner": {"id": owner.pk, "username": "owner"},
        "collaborators": [],
        "snapshot_id": playlist.snapshot_id,
        "song_count": 0,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert response["ETag"] == f'"{playlist.snapshot_id}"'
    assert client.get("/api/v1/playlists/").json()["count"] == 1


def test_list_is_mine_and_collaborations_or_public(owner, client_for):
    mine = PlaylistFactory(owner=owner)
    shared = PlaylistFactory(collaborators=[owner])
    public_other = PlaylistFactory(is_public=True)
    PlaylistFactory()  # someone else's private playlist
    client = client_for(owner)
    listed = {row["id"] for row in client.get("/api/v1/playlists/").json()["results"]}
    assert listed == {mine.pk, shared.pk}
    public = {row["id"] for row in client.get("/api/v1/playlists/?public=true").json()["results"]}
    assert public == {public_other.pk}
    anonymous = client_for(None).get("/api/v1/playlists/").json()["results"]
    assert [row["id"] for row in anonymous] == [public_other.pk]
    for lenient in ("maybe", "1", "yes", "null", "True"):
        response = client.get(f"/api/v1/playlists/?public={lenient}")
        assert response.status_code == 400
        assert [e["attr"] for e in response.json()["errors"]] == ["public"]


def test_add_append_and_insert_keep_positions_contiguous(owner, playlist, songs, client_for):
    client = client_for(owner)
    response = client.post(songs_url(playlist), {"song_ids": [songs[0].pk, songs[1].pk]})
    assert response.status_code == 201
    body = response.json()
    assert [e["position"] for e in body["entries"]] == [0, 1]
    assert body["entries"][0]["song"]["id"] == songs[0].pk
    assert body["entries"][0]["added_by"] == {"id": owner.pk, "username": "owner"}
    # Insert in the middle, then at the start.
    assert (
        client.post(songs_url(playlist), {"song_id": songs[2].pk, "position": 1}).status_code == 201
    )
    assert (
        client.post(songs_url(playlist), {"song_id": songs[3].pk, "position": 0}).status_code == 201
    )
    assert positions(playlist) == [
        (0, songs[3].pk),
        (1, songs[0].pk),
        (2, songs[2].pk),
        (3, songs[1].pk),
    ]
    listed = client.get(songs_url(playlist)).json()
    assert listed["count"] == 4
    assert [e["song"]["id"] for e in listed["results"]] == [s for _, s in positions(playlist)]


def test_reorder_moves_up_and_down(owner, songs, client_for):
    playlist = PlaylistFactory(owner=owner, songs=songs[:5])
    client = client_for(owner)
    response = client.patch(songs_url(playlist, songs[4]), {"position": 1})
    assert response.status_code == 200
    assert response.json()["entries"][0]["position"] == 1
    assert [s for _, s in positions(playlist)] == [
        songs[0].pk, songs[4].pk, songs[1].pk, songs[2].pk, songs[3].pk
    ]  # fmt: skip
    assert client.patch(songs_url(playlist, songs[0]), {"position": 4}).status_code == 200
    assert [s for _, s in positions(playlist)] == [
        songs[4].pk, songs[1].pk, songs[2].pk, songs[3].pk, songs[0].pk
    ]  # fmt: skip
    assert_contiguous(playlist)
    assert client.patch(songs_url(playlist, songs[0]), {"position": 5}).status_code == 400
    assert client.patch(songs_url(playlist, songs[5]), {"position": 0}).status_code == 404


def test_remove_closes_the_gap(owner, songs, client_for):
    playlist = PlaylistFactory(owner=owner, songs=songs[:4])
    response = client_for(owner).delete(songs_url(playlist, songs[1]))
    assert response.status_code == 200
    playlist.refresh_from_db()
    assert response.json() == {"snapshot_id": playlist.snapshot_id}
    assert positions(playlist) == [(0, songs[0].pk), (1, songs[2].pk), (2, songs[3].pk)]
    assert client_for(owner).delete(songs_url(playlist, songs[1])).status_code == 404


def test_every_edit_changes_the_snapshot_and_stale_if_match_is_412(owner, songs, client_for):
    playlist = PlaylistFactory(owner=owner, songs=songs[:2])
    client = client_for(owner)
    first = client.get(f"/api/v1/playlists/{playlist.pk}/")["ETag"]
    response = client.post(songs_url(playlist), {"song_id": songs[2].pk}, HTTP_IF_MATCH=first)
    assert response.status_code == 201
    second = response["ETag"]
    assert second != first
    # A client still holding the first snapshot is refused, and nothing changes.
    for stale in [
        client.post(songs_url(playlist), {"song_id": songs[3].pk}, HTTP_IF_MATCH=first),
        client.patch(songs_url(playlist, songs[0]), {"position": 2}, HTTP_IF_MATCH=first),
        client.delete(songs_url(playlist, songs[0]), HTTP_IF_MATCH=first),
        client.patch(f"/api/v1/playlists/{playlist.pk}/", {"name": "x"}, HTTP_IF_MATCH=first),
        client.delete(f"/api/v1/playlists/{playlist.pk}/", HTTP_IF_MATCH=first),
    ]:
        assert stale.status_code == 412
        assert stale.json()["errors"][0]["code"] == "precondition_failed"
    assert len(positions(playlist)) == 3
    # The current snapshot, weak or bare, and "*" are accepted.
    bare = second.strip('"')
    response = client.patch(
        songs_url(playlist, songs[0]), {"position": 2}, HTTP_IF_MATCH=f"W/{second}"
    )
    assert response.status_code == 200
    third = response.json()["snapshot_id"]
    assert third != bare
    assert client.delete(songs_url(playlist, songs[0]), HTTP_IF_MATCH="*").status_code == 200
    # Without If-Match, writes are last-writer-wins.
    assert client.patch(f"/api/v1/playlists/{playlist.pk}/", {"name": "Renamed"}).status_code == 200


def test_only_visible_songs_can_be_added(owner, playlist, client_for):
    hidden = SongFactory(is_visible=False)
    private_album_song = SongFactory(album__is_public=False)
    for song in (hidden, private_album_song):
        response = client_for(owner).post(songs_url(playlist), {"song_id": song.pk})
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "song_ids"
    assert client_for(owner).post(songs_url(playlist), {"song_id": 999_999_999}).status_code == 400
    assert positions(playlist) == []


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"song_id": 1, "song_ids": [2]},
        {"song_ids": []},
        {"song_ids": "1,2"},
        {"song_id": "abc"},
        {"song_id": 2**70},
        {"song_id": 1, "position": -1},
    ],
)
def test_bad_add_requests_are_400(payload, owner, playlist, client_for):
    assert client_for(owner).post(songs_url(playlist), payload, format="json").status_code == 400


def test_add_limits(owner, playlist, songs, client_for, monkeypatch):
    client = client_for(owner)
    too_many = list(range(1, 102))
    response = client.post(songs_url(playlist), {"song_ids": too_many}, format="json")
    assert response.status_code == 400
    duplicate = client.post(songs_url(playlist), {"song_ids": [songs[0].pk, songs[0].pk]})
    assert duplicate.status_code == 400
    assert client.post(songs_url(playlist), {"song_id": songs[0].pk}).status_code == 201
    again = client.post(songs_url(playlist), {"song_id": songs[0].pk})
    assert again.status_code == 400
    assert again.json()["errors"][0]["code"] == "already_present"
    assert (
        client.post(songs_url(playlist), {"song_id": songs[1].pk, "position": 5}).status_code == 400
    )
    # The per-playlist cap (10,000) is checked against the current size.
    monkeypatch.setattr(playlist_services, "MAX_PLAYLIST_SONGS", 3)
    assert (
        client.post(songs_url(playlist), {"song_ids": [songs[1].pk, songs[2].pk]}).status_code
        == 201
    )
    full = client.post(songs_url(playlist), {"song_id": songs[3].pk})
    assert full.status_code == 400
    assert full.json()["errors"][0]["code"] == "playlist_full"
    assert len(positions(playlist)) == 3


def test_playlist_cap_is_ten_thousand():
    assert services.MAX_PLAYLIST_SONGS == 10_000
    assert services.MAX_SONGS_PER_ADD == 100


def test_collaborators_edit_songs_and_lose_access_when_removed(owner, songs, client_for):
    friend = UserFactory(username="friend")
    stranger = UserFactory(username="stranger")
    playlist = PlaylistFactory(owner=owner, songs=songs[:1])
    owner_client, friend_client = client_for(owner), client_for(friend)

    assert friend_client.get(f"/api/v1/playlists/{playlist.pk}/").status_code == 404
    response = owner_client.post(
        f"/api/v1/playlists/{playlist.pk}/collaborators/", {"user_id": friend.pk}
    )
    assert response.status_code == 201
    assert response.json() == {"collaborators": [{"id": friend.pk, "username": "friend"}]}
    again = owner_client.post(
        f"/api/v1/playlists/{playlist.pk}/collaborators/", {"user_id": friend.pk}
    )
    assert again.status_code == 200

    assert friend_client.post(songs_url(playlist), {"song_id": songs[1].pk}).status_code == 201
    assert friend_client.patch(songs_url(playlist, songs[1]), {"position": 0}).status_code == 200
    assert friend_client.delete(songs_url(playlist, songs[0])).status_code == 200
    assert [s for _, s in positions(playlist)] == [songs[1].pk]
    # Collaborators do not manage collaborators or the playlist itself.
    assert (
        friend_client.post(
            f"/api/v1/playlists/{playlist.pk}/collaborators/", {"user_id": stranger.pk}
        ).status_code
        == 403
    )
    assert (
        friend_client.patch(f"/api/v1/playlists/{playlist.pk}/", {"name": "mine"}).status_code
        == 403
    )
    assert friend_client.delete(f"/api/v1/playlists/{playlist.pk}/").status_code == 403

    removed = owner_client.delete(f"/api/v1/playlists/{playlist.pk}/collaborators/{friend.pk}/")
    assert removed.status_code == 204
    # The very next request is refused: private playlist, so it is gone for them.
    assert friend_client.post(songs_url(playlist), {"song_id": songs[2].pk}).status_code == 404
    assert friend_client.get(f"/api/v1/playlists/{playlist.pk}/").status_code == 404
    # On a public playlist a former collaborator can look but not touch.
    playlist.is_public = True
    playlist.save()
    assert friend_client.post(songs_url(playlist), {"song_id": songs[2].pk}).status_code == 403
    assert (
        client_for(stranger).post(songs_url(playlist), {"song_id": songs[2].pk}).status_code == 403
    )


def test_collaborator_errors(owner, playlist, client_for):
    client = client_for(owner)
    url = f"/api/v1/playlists/{playlist.pk}/collaborators/"
    unknown = client.post(url, {"user_id": 987654321})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0] == {
        "code": "does_not_exist",
        "detail": "No such user.",
        "attr": "user_id",
    }
    itself = client.post(url, {"user_id": owner.pk})
    assert itself.status_code == 400
    assert itself.json()["errors"][0]["code"] == "is_owner"
    assert client.post(url, {"user_id": "x"}).status_code == 400
    assert client.delete(f"{url}{owner.pk}/").status_code == 404
    assert client_for(None).post(url, {"user_id": owner.pk}).status_code == 401


def test_a_collaborator_may_leave(owner, client_for):
    friend = UserFactory()
    playlist = PlaylistFactory(owner=owner, collaborators=[friend])
    response = client_for(friend).delete(
        f"/api/v1/playlists/{playlist.pk}/collaborators/{friend.pk}/"
    )
    assert response.status_code == 204
    assert not playlist.collaborators.exists()


def test_activities_log_adds_and_removes(owner, playlist, songs, client_for):
    friend = UserFactory(username="friend")
    playlist.collaborators.add(friend)
    client_for(owner).post(songs_url(playlist), {"song_ids": [songs[0].pk, songs[1].pk]})
    client_for(friend).delete(songs_url(playlist, songs[0]))
    client_for(owner).patch(songs_url(playlist, songs[1]), {"position": 0})  # not logged
    response = client_for(friend).get(f"/api/v1/playlists/{playlist.pk}/activities/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["user"]["username"], r["song"]["id"], r["action"]) for r in rows] == [
        ("friend", songs[0].pk, "remove"),
        ("owner", songs[1].pk, "add"),
        ("owner", songs[0].pk, "add"),
    ]
    assert all(r["at"].endswith("Z") or "+00:00" in r["at"] for r in rows)
    assert PlaylistActivity.objects.filter(playlist=playlist).count() == 3
    # A public playlist's visitors see its songs but not who edited it.
    playlist.is_public = True
    playlist.save()
    assert (
        client_for(UserFactory()).get(f"/api/v1/playlists/{playlist.pk}/activities/").status_code
        == 403
    )
    assert (
        client_for(EditorFactory()).get(f"/api/v1/playlists/{playlist.pk}/activities/").status_code
        == 200
    )


def test_activity_hides_songs_the_caller_may_not_see(owner, playlist, songs, client_for):
    client_for(owner).post(songs_url(playlist), {"song_id": songs[0].pk})
    songs[0].is_visible = False
    songs[0].save()
    rows = client_for(owner).get(f"/api/v1/playlists/{playlist.pk}/activities/").json()["results"]
    assert rows[0]["song"] is None


def test_owner_updates_and_deletes(owner, playlist, client_for):
    client = client_for(owner)
    response = client.patch(f"/api/v1/playlists/{playlist.pk}/", {"is_public": True, "name": "New"})
    assert response.status_code == 200
    assert response.json()["name"] == "New"
    assert client.patch(f"/api/v1/playlists/{playlist.pk}/", {"name": ""}).status_code == 400
    assert client.patch(f"/api/v1/playlists/{playlist.pk}/", {"name": "x" * 201}).status_code == 400
    assert client.delete(f"/api/v1/playlists/{playlist.pk}/").status_code == 204
    assert not Playlist.objects.filter(pk=playlist.pk).exists()


def test_anonymous_cannot_create(client_for):
    assert client_for(None).post("/api/v1/playlists/", {"name": "x"}).status_code == 401


def test_non_integer_ids_do_not_match(owner, playlist, client_for):
    client = client_for(owner)
    assert client.get("/api/v1/playlists/abc/").status_code == 404
    assert client.get(f"/api/v1/playlists/{2**70}/").status_code == 404
    assert client.delete(songs_url(playlist) + f"{2**70}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_keep_positions_contiguous():
    """Edits of one playlist are serialised by a row lock, so parallel adds interleave
    cleanly instead of colliding on positions."""
    import threading

    from django.db import connection

    owner = UserFactory()
    playlist = PlaylistFactory(owner=owner)
    batches = [SongFactory.create_batch(5) for _ in range(4)]
    errors = []
    barrier = threading.Barrier(len(batches))

    def add(songs):
        try:
            barrier.wait()
            for song in songs:
                services.playlist_add_songs(
                    user=owner, playlist=playlist, song_ids=[song.pk], position=0
                )
        except Exception as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(songs,)) for songs in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_contiguous(playlist)
    assert len(positions(playlist)) == 20
    assert PlaylistActivity.objects.filter(playlist=playlist).count() == 20


def test_head_on_the_songs_list_never_adds_a_song(client_for):
    owner = UserFactory()
    playlist = PlaylistFactory(owner=owner)
    song = SongFactory()
    snapshot = playlist.snapshot_id
    response = client_for(owner).generic(
        "HEAD",
        f"/api/v1/playlists/{playlist.pk}/songs/",
        data=json.dumps({"song_id": song.pk}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.content == b""
    playlist.refresh_from_db()
    assert playlist.snapshot_id == snapshot
    assert not playlist.entries.exists()
    assert not PlaylistActivity.objects.filter(playlist=playlist).exists()


def test_a_blocked_user_cannot_be_added_as_a_collaborator(client_for):
    owner, blocked = UserFactory(), UserFactory(is_blocked=True)
    playlist = PlaylistFactory(owner=owner)
    response = client_for(owner).post(
        f"/api/v1/playlists/{playlist.pk}/collaborators/", {"user_id": blocked.pk}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "does_not_exist",
        "detail": "No such user.",
        "attr": "user_id",
    }
    assert not playlist.collaborators.exists()
