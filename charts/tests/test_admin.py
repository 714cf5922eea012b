"""The staff UI: pages load for editors, "pull now", unmatched tracks, snapshot deletion."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from catalog.tests.factories import SongFactory
from charts.models import ChartEntry, ChartSnapshot, ChartTrack
from users.tests.factories import AdminFactory, EditorFactory, UserFactory

from .factories import ChartFactory, FeedChartFactory, IngestionRunFactory, ingest

pytestmark = pytest.mark.django_db

D1 = date(2024, 3, 1)


@pytest.fixture
def editor_client(client):
    client.force_login(EditorFactory())
    return client


@pytest.fixture
def chart():
    chart = FeedChartFactory(slug="apple")
    ingest(chart, {D1: ["a", "b"], D1 + timedelta(1): ["b", "c"]})
    IngestionRunFactory(chart=chart, status="failed", error="HTTP 503")
    return chart


@pytest.mark.parametrize(
    "model",
    ["chart", "chartsnapshot", "chartentry", "ingestionrun", "charttrack", "unmatchedtrack"],
)
def test_changelists_load_for_editors(editor_client, chart, model):
    response = editor_client.get(reverse(f"admin:charts_{model}_changelist"))
    assert response.status_code == 200


def test_change_pages_load(editor_client, chart):
    snapshot = ChartSnapshot.objects.filter(chart=chart).first()
    for name, pk in [
        ("chart", chart.pk),
        ("chartsnapshot", snapshot.pk),
        ("chartentry", snapshot.entries.first().pk),
        ("charttrack", ChartTrack.objects.first().pk),
    ]:
        assert (
            editor_client.get(reverse(f"admin:charts_{name}_change", args=[pk])).status_code == 200
        )


def test_listeners_are_kept_out(client, chart):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:charts_chart_changelist"))
    assert response.status_code == 302


def test_pull_now_action_queues_one_task_per_chart(
    editor_client, chart, django_capture_on_commit_callbacks
):
    csv_only = ChartFactory(slug="csv", feed_url="")
    with (
        mock.patch("common.tasks.send_task_now") as send_task_now,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = editor_client.post(
            reverse("admin:charts_chart_changelist"),
            {"action": "pull_now", "_selected_action": [chart.pk, csv_only.pk]},
            follow=True,
        )
    assert response.status_code == 200
    send_task_now.assert_called_once()
    assert send_task_now.call_args.args == ("charts.pull",)
    assert send_task_now.call_args.kwargs["kwargs"] == {"chart_id": chart.pk, "trigger": "manual"}
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "1 pull(s) queued; see Ingestion runs.",
        "No feed URL (file imports only): csv",
    ]


@pytest.mark.django_db(transaction=True)
def test_pull_now_with_the_broker_down_says_so(client, broker_down):
    """Outside a transaction the task is sent at once; a stopped broker is a message to the
    editor, not a 500."""
    client.force_login(EditorFactory())
    chart = FeedChartFactory(slug="apple")
    response = client.post(
        reverse("admin:charts_chart_changelist"),
        {"action": "pull_now", "_selected_action": [chart.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "The task queue is unavailable; try again later.",
        "0 pull(s) queued; see Ingestion runs.",
    ]


def test_resolving_an_unmatched_track(editor_client, chart):
    song = SongFactory()
    track = ChartTrack.objects.get(key="apple:id-b")
    unmatched_url = reverse("admin:charts_unmatchedtrack_changelist")
    assert "id-b" in editor_client.get(unmatched_url).content.decode()

    response = editor_client.post(
        reverse("admin:charts_unmatchedtrack_change", args=[track.pk]),
        {"song": song.pk, "artist": ""},
    )
    assert response.status_code == 302
    assert set(ChartEntry.objects.filter(track=track).values_list("song_id", "artist_id")) == {
        (song.pk, song.artist_id)
    }
    track.refresh_from_db()
    assert track.match_method == "manual"
    assert "id-b" not in editor_client.get(unmatched_url).content.decode()


def test_admin_deleting_a_snapshot_recomputes_later_ones(client, chart):
    client.force_login(AdminFactory())
    first = ChartSnapshot.objects.get(chart=chart, date=D1)
    response = client.post(
        reverse("admin:charts_chartsnapshot_delete", args=[first.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    b = ChartEntry.objects.get(snapshot__date=D1 + timedelta(1), track__key="apple:id-b")
    assert (b.is_new, b.previous_position, b.days_on_chart) == (True, None, 1)


def test_editors_may_not_delete_snapshots(editor_client, chart):
    first = ChartSnapshot.objects.get(chart=chart, date=D1)
    response = editor_client.post(
        reverse("admin:charts_chartsnapshot_delete", args=[first.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert ChartSnapshot.objects.filter(pk=first.pk).exists()
