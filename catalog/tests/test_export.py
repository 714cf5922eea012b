"""Playlist export: an export row and 202 + task id, enqueued after commit; exports go to the
account's own address only; the task e-mails a JSON attachment (locmem backend, and once
through a real SMTP server), is idempotent by its row, retries temporary errors; the status
is readable at exports/{task_id}/; per-user rate limit."""

import email
import json
import smtplib
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMessage

from catalog.models import PlaylistExport
from catalog.tasks import EXPORT_MAX_RETRIES, playlist_export
from catalog.tests.factories import PlaylistFactory, SongFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def playlist(owner):
    songs = [
        SongFactory(title="First", artist__name="Band A", album__title="LP", isrc="USAAA2400001"),
        SongFactory(title="Second", artist__name="Band B", album=None),
        SongFactory(title="Hidden", is_visible=False),
    ]
    return PlaylistFactory(owner=owner, name="Road\nTrip", description="Drive", songs=songs)


def export_url(playlist) -> str:
    return f"/api/v1/playlists/{playlist.pk}/export/"


def run_task(playlist, user, task_id="export-1"):
    """Record an export as the API does, then run its task in this process."""
    PlaylistExport.objects.get_or_create(
        task_id=task_id,
        defaults={"playlist": playlist, "requested_by": user, "target_email": user.email},
    )
    return playlist_export.apply(kwargs={"export_id": task_id}, task_id=task_id)


def export_status(task_id: str) -> str:
    return PlaylistExport.objects.get(task_id=task_id).status


def expected_songs(playlist):
    rows = []
    for entry in playlist.entries.select_related("song__artist", "song__album", "song__genre"):
        song = entry.song
        if not song.is_visible:
            continue
        rows.append(
            {
                "position": entry.position,
                "id": song.pk,
                "title": song.title,
                "artist": song.artist.name,
                "album": song.album.title if song.album else None,
                "genre": song.genre.slug if song.genre else None,
                "year": song.year,
                "duration_ms": song.duration_ms,
                "isrc": song.isrc,
                "explicit": song.explicit,
                "spotify_id": song.spotify_id,
                "audio_features": {
                    name: getattr(song, name)
                    for name in (
                        "acousticness",
                        "danceability",
                        "energy",
                        "instrumentalness",
                        "liveness",
                        "speechiness",
                        "valence",
                        "loudness",
                        "tempo",
                        "key",
                        "mode",
                    )
                },  # fmt: skip
            }
        )
    return rows


def assert_document_matches(document: dict, playlist):
    assert document["format"] == "music_platform.playlist.v1"
    assert document["exported_at"]
    assert document["playlist"] == {
        "id": playlist.pk,
        "name": playlist.name,
        "description": "Drive",
        "owner": "owner",
        "is_public": False,
        "snapshot_id": playlist.snapshot_id,
    }
    assert document["songs"] == expected_songs(playlist)
    assert [s["title"] for s in document["songs"]] == ["First", "Second"]


def test_request_records_the_export_and_enqueues_it_after_commit(
    owner, playlist, client_for, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(export_url(playlist), {"target_email": owner.email})
        assert queued_tasks() == []  # not before the transaction commits
    assert response.status_code == 202
    assert list(response.json()) == ["task_id"]
    task_id = response.json()["task_id"]
    assert queued_tasks() == [("catalog.playlist_export", {"export_id": task_id}, task_id)]
    export = PlaylistExport.objects.get(task_id=task_id)
    assert (export.playlist, export.requested_by, export.target_email, export.status) == (
        playlist,
        owner,
        owner.email,
        "queued",
    )


def test_the_address_defaults_to_the_accounts_own(owner, playlist, client_for):
    response = client_for(owner).post(export_url(playlist))
    assert response.status_code == 202
    assert PlaylistExport.objects.get().target_email == owner.email


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("", "blank"),
        ("not-an-email", "invalid"),
        ("a@b", "invalid"),
        ("x@example.com\nBcc: y@example.com", "invalid"),
        ("friend@example.org", "not_your_address"),  # no open relay
    ],
)
def test_a_bad_or_foreign_target_is_400_and_nothing_is_recorded(
    target, code, owner, playlist, client_for, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(owner).post(export_url(playlist), {"target_email": target})
    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("target_email", code)]
    assert callbacks == [] and queued_tasks() == []
    assert not PlaylistExport.objects.exists()


def test_an_account_without_an_address_cannot_export(playlist, client_for):
    user = UserFactory(email="")
    playlist.collaborators.add(user)
    response = client_for(user).post(export_url(playlist))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "no_address"


def test_export_of_a_playlist_you_cannot_see_is_404(
    playlist, client_for, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(UserFactory()).post(export_url(playlist))
        anonymous = client_for(None).post(export_url(playlist))
    assert response.status_code == 404
    assert anonymous.status_code == 401
    assert callbacks == [] and queued_tasks() == []
    assert not PlaylistExport.objects.exists()


def test_exports_are_rate_limited_per_user(owner, playlist, client_for):
    client = client_for(owner)
    for _ in range(10):
        assert client.post(export_url(playlist)).status_code == 202
    limited = client.post(export_url(playlist))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    # Another user has their own budget.
    other = UserFactory()
    playlist.collaborators.add(other)
    assert client_for(other).post(export_url(playlist)).status_code == 202


@pytest.mark.django_db(transaction=True)  # real commits, so on_commit runs in the request
def test_broker_outage_is_503_and_the_export_is_marked_failed(
    owner, playlist, client_for, broker_down
):
    client = client_for(owner)
    client.raise_request_exception = False  # 5xx are reported as exceptions; see the response
    response = client.post(export_url(playlist))
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "service_unavailable"
    export = PlaylistExport.objects.get()
    assert (export.status, export.detail) == ("failed", "queue down")


def status_url(playlist, task_id: str) -> str:
    return f"/api/v1/playlists/{playlist.pk}/exports/{task_id}/"


def test_the_requester_reads_the_exports_status(owner, playlist, client_for):
    task_id = client_for(owner).post(export_url(playlist)).json()["task_id"]
    queued = client_for(owner).get(status_url(playlist, task_id))
    assert queued.status_code == 200
    body = queued.json()
    assert body == {
        "task_id": task_id,
        "status": "queued",
        "target_email": owner.email,
        "detail": "",
        "created_at": body["created_at"],
        "finished_at": None,
    }
    playlist_export.apply(kwargs={"export_id": task_id}, task_id=task_id)
    sent = client_for(owner).get(status_url(playlist, task_id)).json()
    assert (sent["status"], sent["finished_at"] is not None) == ("sent", True)


def test_nobody_else_reads_an_export(owner, playlist, client_for):
    task_id = client_for(owner).post(export_url(playlist)).json()["task_id"]
    collaborator = UserFactory()
    playlist.collaborators.add(collaborator)
    assert client_for(collaborator).get(status_url(playlist, task_id)).status_code == 404
    assert client_for(UserFactory()).get(status_url(playlist, task_id)).status_code == 404
    assert client_for(None).get(status_url(playlist, task_id)).status_code == 401
    unknown = "00000000-0000-0000-0000-000000000000"
    assert client_for(owner).get(status_url(playlist, unknown)).status_code == 404


def test_task_sends_one_email_with_the_playlist_as_json(owner, playlist):
    result = run_task(playlist, owner)
    assert result.get() == "sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert message.subject == "Your playlist export: Road Trip"  # no header injection
    [(filename, content, mimetype)] = message.attachments
    assert filename == f"playlist-{playlist.pk}.json"
    assert mimetype == "application/json"
    assert_document_matches(json.loads(content), playlist)


def test_task_is_safe_to_run_twice(owner, playlist):
    assert run_task(playlist, owner, task_id="same").get() == "sent"
    assert run_task(playlist, owner, task_id="same").get() == "sent"
    assert len(mail.outbox) == 1


def test_task_stays_safe_to_run_twice_with_the_cache_down(owner, playlist, settings):
    # Idempotency lives in the database: flushing (or losing) Redis must not resend.
    assert run_task(playlist, owner, task_id="same").get() == "sent"
    cache.clear()
    assert run_task(playlist, owner, task_id="same").get() == "sent"
    assert len(mail.outbox) == 1


def test_a_failed_send_leaves_the_export_queued_so_the_retry_sends(owner, playlist):
    outcomes = [smtplib.SMTPServerDisconnected("gone"), 1]
    with mock.patch.object(EmailMessage, "send", side_effect=outcomes) as send:
        assert run_task(playlist, owner, task_id="flaky").get() == "sent"
    assert send.call_count == 2  # the failed attempt left the row queued
    assert export_status("flaky") == "sent"


def test_task_rechecks_access(owner, playlist):
    stranger = UserFactory()
    assert run_task(playlist, stranger, task_id="stranger").get() == "skipped"
    assert PlaylistExport.objects.get(task_id="stranger").detail == (
        "the playlist is no longer visible to you"
    )
    PlaylistExport.objects.create(
        task_id="gone", playlist=playlist, requested_by=owner, target_email=owner.email
    )
    playlist.delete()
    assert playlist_export.apply(kwargs={"export_id": "gone"}).get() == "skipped"
    assert playlist_export.apply(kwargs={"export_id": "unknown"}).get() == "missing"
    assert mail.outbox == []


def test_temporary_smtp_errors_are_retried(owner, playlist):
    outcomes = [smtplib.SMTPServerDisconnected("gone"), ConnectionRefusedError(), 1]
    with mock.patch.object(EmailMessage, "send", side_effect=outcomes) as send:
        result = run_task(playlist, owner)
    assert result.get() == "sent"
    assert send.call_count == 3


def test_permanent_smtp_errors_are_not_retried(owner, playlist):
    refused = smtplib.SMTPRecipientsRefused({"me@example.com": (550, b"no such user")})
    with mock.patch.object(EmailMessage, "send", side_effect=refused) as send:
        result = run_task(playlist, owner)
    assert result.failed()
    assert send.call_count == 1
    assert export_status("export-1") == "failed"


def test_retries_stop_after_the_limit(owner, playlist):
    with mock.patch.object(EmailMessage, "send", side_effect=TimeoutError("slow")) as send:
        result = run_task(playlist, owner)
    assert result.failed()
    assert send.call_count == EXPORT_MAX_RETRIES + 1
    assert export_status("export-1") == "failed"


class RecordingHandler:
    """An SMTP server's message handler: answers 451 (try later) a given number of times,
    then accepts and records each message."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.messages: list[email.message.Message] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        if self.fail_first:
            self.fail_first -= 1
            return "451 Requested action aborted: try again later"
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings, free_tcp_port_factory):
    servers = []

    def start(fail_first: int = 0) -> RecordingHandler:
        handler = RecordingHandler(fail_first)
        port = free_tcp_port_factory()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        return handler

    yield start
    for controller in servers:
        controller.stop()


def _json_attachment(message: email.message.Message) -> tuple[str, dict]:
    for part in message.walk():
        if part.get_content_type() == "application/json":
            return part.get_filename(), json.loads(part.get_payload(decode=True))
    raise AssertionError("no JSON attachment")


def test_export_through_a_real_smtp_server(owner, playlist, smtp_server):
    handler = smtp_server(fail_first=1)  # the first delivery gets a 451 and is retried
    assert run_task(playlist, owner).get() == "sent"
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert handler.envelopes[0].rcpt_tos == [owner.email]
    assert message["To"] == owner.email
    assert message["Subject"] == "Your playlist export: Road Trip"
    filename, document = _json_attachment(message)
    assert filename == f"playlist-{playlist.pk}.json"
    assert_document_matches(document, playlist)
