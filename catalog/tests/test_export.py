"""Playlist export: 202 + task id, enqueued after commit; the task e-mails a JSON attachment
(locmem backend, and once through a real SMTP server); retries; per-user rate limit."""

import email
import json
import smtplib
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMessage

from catalog.models import PlaylistExportDelivery
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


def run_task(playlist, user, target="me@example.com", task_id="export-1"):
    return playlist_export.apply(
        kwargs={"playlist_id": playlist.pk, "requested_by_id": user.pk, "target_email": target},
        task_id=task_id,
    )


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


def test_request_returns_202_and_enqueues_after_commit(
    owner, playlist, client_for, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(export_url(playlist), {"target_email": "me@example.com"})
        assert queued_tasks() == []  # not before the transaction commits
    assert response.status_code == 202
    assert list(response.json()) == ["task_id"]
    kwargs = {
        "playlist_id": playlist.pk,
        "requested_by_id": owner.pk,
        "target_email": "me@example.com",
    }
    assert queued_tasks() == [("catalog.playlist_export", kwargs, response.json()["task_id"])]


@pytest.mark.parametrize("target", ["", "not-an-email", "a@b", "x@example.com\nBcc: y@example.com"])
def test_invalid_target_is_400_and_nothing_is_enqueued(
    target, owner, playlist, client_for, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(owner).post(export_url(playlist), {"target_email": target})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "target_email"
    assert callbacks == [] and queued_tasks() == []


def test_export_of_a_playlist_you_cannot_see_is_404(
    playlist, client_for, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(UserFactory()).post(
            export_url(playlist), {"target_email": "a@example.com"}
        )
        anonymous = client_for(None).post(export_url(playlist), {"target_email": "a@example.com"})
    assert response.status_code == 404
    assert anonymous.status_code == 401
    assert callbacks == [] and queued_tasks() == []


def test_exports_are_rate_limited_per_user(owner, playlist, client_for):
    client = client_for(owner)
    for _ in range(10):
        assert (
            client.post(export_url(playlist), {"target_email": "me@example.com"}).status_code == 202
        )
    limited = client.post(export_url(playlist), {"target_email": "me@example.com"})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    # Another user has their own budget.
    other = UserFactory()
    playlist.collaborators.add(other)
    assert (
        client_for(other).post(export_url(playlist), {"target_email": "o@example.com"}).status_code
        == 202
    )


@pytest.mark.django_db(transaction=True)  # real commits, so on_commit runs in the request
def test_broker_outage_is_503(owner, playlist, client_for, broker_down):
    client = client_for(owner)
    client.raise_request_exception = False  # 5xx are reported as exceptions; see the response
    response = client.post(export_url(playlist), {"target_email": "me@example.com"})
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "service_unavailable"


def test_task_sends_one_email_with_the_playlist_as_json(owner, playlist):
    result = run_task(playlist, owner)
    assert result.get() == "sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["me@example.com"]
    assert message.subject == "Your playlist export: Road Trip"  # no header injection
    [(filename, content, mimetype)] = message.attachments
    assert filename == f"playlist-{playlist.pk}.json"
    assert mimetype == "application/json"
    assert_document_matches(json.loads(content), playlist)


def test_task_is_safe_to_run_twice(owner, playlist):
    assert run_task(playlist, owner, task_id="same").get() == "sent"
    assert run_task(playlist, owner, task_id="same").get() == "already_sent"
    assert len(mail.outbox) == 1


def test_task_stays_safe_to_run_twice_with_the_cache_down(owner, playlist, settings):
    # Idempotency lives in the database: flushing (or losing) Redis must not resend.
    assert run_task(playlist, owner, task_id="same").get() == "sent"
    cache.clear()
    assert run_task(playlist, owner, task_id="same").get() == "already_sent"
    assert len(mail.outbox) == 1
    assert PlaylistExportDelivery.objects.get().export_id == "same"


def test_a_failed_send_leaves_no_delivery_row_so_the_retry_sends(owner, playlist):
    outcomes = [smtplib.SMTPServerDisconnected("gone"), 1]
    with mock.patch.object(EmailMessage, "send", side_effect=outcomes) as send:
        assert run_task(playlist, owner, task_id="flaky").get() == "sent"
    assert send.call_count == 2  # the failed attempt's row was rolled back
    assert PlaylistExportDelivery.objects.filter(export_id="flaky").count() == 1


def test_task_rechecks_access(owner, playlist):
    stranger = UserFactory()
    assert run_task(playlist, stranger).get() == "no_access"
    playlist_id = playlist.pk
    playlist.delete()
    result = playlist_export.apply(
        kwargs={"playlist_id": playlist_id, "requested_by_id": owner.pk, "target_email": "a@b.co"}
    )
    assert result.get() == "playlist_missing"
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


def test_retries_stop_after_the_limit(owner, playlist):
    with mock.patch.object(EmailMessage, "send", side_effect=TimeoutError("slow")) as send:
        result = run_task(playlist, owner)
    assert result.failed()
    assert send.call_count == EXPORT_MAX_RETRIES + 1


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
    assert run_task(playlist, owner, target="friend@example.org").get() == "sent"
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert handler.envelopes[0].rcpt_tos == ["friend@example.org"]
    assert message["To"] == "friend@example.org"
    assert message["Subject"] == "Your playlist export: Road Trip"
    filename, document = _json_attachment(message)
    assert filename == f"playlist-{playlist.pk}.json"
    assert_document_matches(document, playlist)
