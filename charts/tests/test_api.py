"""The charts API: whole responses, permissions, bad input, query counts."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from catalog.tests.factories import OwnedArtistFactory, SongFactory
from charts.models import ChartTrack
from charts.services import chart_track_resolve
from users.tests.factories import AdminFactory, ArtistUserFactory, EditorFactory, UserFactory

from .factories import ChartFactory, FeedChartFactory, entry, ingest

pytestmark = pytest.mark.django_db

D1, D2, D3 = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)


def entry_body(position, title, **overrides):
    body = {
        "position": position,
        "title": title,
        "artist_name": f"Artist of {title}",
        "song": None,
        "artist": None,
        "previous_position": None,
        "movement": None,
        "is_new": True,
        "is_reentry": False,
        "peak_position": position,
        "days_on_chart": 1,
        "streams": None,
        "explicit": None,
        "url": "",
        "artwork_url": "",
    }
    return {**body, **overrides}


def page(results, *, chart="top", day="2024-03-03", previous_date="2024-03-02", **extra):
    return {
        "chart": chart,
        "date": day,
        "previous_date": previous_date,
        "count": len(results),
        "next": None,
        "previous": None,
        "results": results,
        **extra,
    }


@pytest.fixture
def chart():
    """Three days: a b c d -> b a e c -> a e f b (d dropped on day 2; c on day 3)."""
    chart = ChartFactory(slug="top", name="Top", country="us")
    ingest(
        chart,
        {
            D1: ["a", "b", "c", "d"],
            D2: ["b", "a", "e", "c"],
            D3: [entry(1, "a", streams=900), entry(2, "e"), entry(3, "f"), entry(4, "b")],
        },
    )
    return chart


def url(name, **kwargs):
    return reverse(name, kwargs=kwargs)


# ----------------------------------------------------------------------------- lists


def test_chart_list(api_client, chart):
    ChartFactory(slug="empty", name="Empty", country="")
    response = api_client.get(url("chart-list"))
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "slug": "empty",
                "name": "Empty",
                "source": "spotify_csv",
                "country": "",
                "kind": "songs",
                "latest_date": None,
            },
            {
                "slug": "top",
                "name": "Top",
                "source": "spotify_csv",
                "country": "us",
                "kind": "songs",
                "latest_date": "2024-03-03",
            },
        ],
    }


def test_latest_snapshot(api_client, chart):
    response = api_client.get(url("chart-latest", slug="top"))
    assert response.status_code == 200
    assert response.json() == page(
        [
            entry_body(
                1,
                "a",
                previous_position=2,
                movement=1,
                is_new=False,
                days_on_chart=3,
                streams=900,
            ),
            entry_body(2, "e", previous_position=3, movement=1, is_new=False, days_on_chart=2),
            entry_body(3, "f"),
            entry_body(
                4,
                "b",
                previous_position=1,
                movement=-3,
                is_new=False,
                peak_position=1,
                days_on_chart=3,
            ),
        ]
    )


def test_snapshot_by_date_and_new_entries(api_client, chart):
    response = api_client.get(url("chart-day", slug="top", day="2024-03-02"), {"status": "new"})
    assert response.json() == page(
        [entry_body(3, "e")], day="2024-03-02", previous_date="2024-03-01"
    )
    first = api_client.get(url("chart-day", slug="top", day="2024-03-01"), {"limit": 1}).json()
    assert first["previous_date"] is None
    assert first["count"] == 4 and len(first["results"]) == 1
    assert first["next"].endswith("/api/v1/charts/top/2024-03-01/?limit=1&offset=1")


def test_reentry_status(api_client):
    chart = ChartFactory(slug="re")
    ingest(chart, {D1: ["a", "b"], D2: ["b"], D3: ["a", "b"]})
    body = api_client.get(url("chart-day", slug="re", day="2024-03-03"), {"status": "reentry"})
    assert body.json()["results"] == [
        entry_body(1, "a", is_new=False, is_reentry=True, days_on_chart=2)
    ]


def test_dropped(api_client, chart):
    response = api_client.get(url("chart-dropped", slug="top", day="2024-03-03"))
    assert response.json() == page(
        [
            entry_body(
                4,
                "c",
                previous_position=3,
                movement=-1,
                is_new=False,
                peak_position=3,
                days_on_chart=2,
            )
        ]
    )
    first_day = api_client.get(url("chart-dropped", slug="top", day="2024-03-01"))
    assert first_day.json() == page([], day="2024-03-01", previous_date=None)


def test_movers(api_client, chart):
    up = api_client.get(url("chart-movers", slug="top"))
    assert [(e["title"], e["movement"]) for e in up.json()["results"]] == [("a", 1), ("e", 1)]
    down = api_client.get(
        url("chart-movers", slug="top"), {"direction": "down", "date": "2024-03-02"}
    )
    assert down.json() == page(
        [
            entry_body(
                2,
                "a",
                previous_position=1,
                movement=-1,
                is_new=False,
                peak_position=1,
                days_on_chart=2,
            ),
            entry_body(
                4,
                "c",
                previous_position=3,
                movement=-1,
                is_new=False,
                peak_position=3,
                days_on_chart=2,
            ),
        ],
        day="2024-03-02",
        previous_date="2024-03-01",
    )
    limited = api_client.get(url("chart-movers", slug="top"), {"limit": 1}).json()
    assert limited["count"] == 2 and len(limited["results"]) == 1


def test_history_by_title_and_artist(api_client, chart):
    response = api_client.get(
        url("chart-history", slug="top"), {"title": "B (feat. Someone)", "artist": "artist of b"}
    )
    assert response.json() == [
        {"date": "2024-03-01", "position": 2},
        {"date": "2024-03-02", "position": 1},
        {"date": "2024-03-03", "position": 4},
    ]
    ranged = api_client.get(
        url("chart-history", slug="top"),
        {"title": "b", "artist": "Artist of b", "from": "2024-03-02", "to": "2024-03-02"},
    )
    assert ranged.json() == [{"date": "2024-03-02", "position": 1}]
    unknown = api_client.get(url("chart-history", slug="top"), {"title": "zz", "artist": "y"})
    assert unknown.status_code == 200 and unknown.json() == []


def test_history_by_song(api_client, chart):
    song = SongFactory()
    chart_track_resolve(track=ChartTrack.objects.get(key="spotify:id-c"), song=song)
    response = api_client.get(url("chart-history", slug="top"), {"song": song.pk})
    assert response.json() == [
        {"date": "2024-03-01", "position": 3},
        {"date": "2024-03-02", "position": 4},
    ]


def test_artists_ranking(api_client):
    chart = ChartFactory(slug="arts")
    ingest(
        chart,
        {
            D1: [
                entry(1, "x1", artist="Drake"),
                entry(2, "y1", artist="Future, Drake"),
                entry(3, "x2", artist="Drake feat. Rihanna"),
            ],
            D2: [entry(1, "y1", artist="Future, Drake"), entry(2, "x1", artist="Drake")],
        },
    )
    response = api_client.get(url("chart-artists", slug="arts"))
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "artist": None,
                "artist_name": "Drake",
                "entries": 3,
                "tracks": 2,
                "days": 2,
                "best_position": 1,
            },
            {
                "artist": None,
                "artist_name": "Future",
                "entries": 2,
                "tracks": 1,
                "days": 2,
                "best_position": 1,
            },
        ],
    }
    second_day = api_client.get(url("chart-artists", slug="arts"), {"from": "2024-03-02"}).json()
    assert [(r["artist_name"], r["entries"]) for r in second_day["results"]] == [
        ("Future", 1),
        ("Drake", 1),
    ]


# ----------------------------------------------------------------------------- visibility


@pytest.fixture
def hidden_song_chart():
    owner = ArtistUserFactory()
    hidden = SongFactory(is_public=False, artist=OwnedArtistFactory(user=owner))
    visible = SongFactory()
    chart = ChartFactory(slug="vis")
    ingest(chart, {D1: ["h", "v"]})
    chart_track_resolve(track=ChartTrack.objects.get(key="spotify:id-h"), song=hidden)
    chart_track_resolve(track=ChartTrack.objects.get(key="spotify:id-v"), song=visible)
    return owner, hidden, visible


@pytest.mark.parametrize(
    ("who", "sees_hidden"),
    [("anonymous", False), ("listener", False), ("owner", True), ("editor", True), ("admin", True)],
)
def test_hidden_songs_are_not_linked_for_those_who_may_not_see_them(
    client_for, hidden_song_chart, who, sees_hidden
):
    owner, hidden, visible = hidden_song_chart
    user = {
        "anonymous": None,
        "listener": UserFactory(),
        "owner": owner,
        "editor": EditorFactory(),
        "admin": AdminFactory(),
    }[who]
    results = client_for(user).get(url("chart-latest", slug="vis")).json()["results"]
    assert [(r["song"], r["artist"]) for r in results] == [
        (hidden.pk if sees_hidden else None, hidden.artist_id),
        (visible.pk, visible.artist_id),
    ]
    history = client_for(user).get(url("chart-history", slug="vis"), {"song": hidden.pk})
    assert history.status_code == (200 if sees_hidden else 404)


# ----------------------------------------------------------------------------- ingest


@pytest.mark.parametrize("role_factory", [EditorFactory, AdminFactory])
def test_ingest_queues_a_pull_after_commit(
    client_for, role_factory, django_capture_on_commit_callbacks
):
    chart = FeedChartFactory(slug="apple")
    # Created before the capture: a new account has its own after-commit work (cache bumps).
    client = client_for(role_factory())
    with (
        mock.patch("common.tasks.send_task_now") as send_task_now,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(url("chart-ingest", slug="apple"))
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    assert response.json() == {"task_id": task_id}
    assert len(callbacks) == 1
    send_task_now.assert_called_once_with(
        "charts.pull",
        kwargs={"chart_id": chart.pk, "trigger": "manual"},
        queue=None,
        task_id=task_id,
    )


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("listener", 403, "permission_denied"),
        ("artist", 403, "permission_denied"),
    ],
)
def test_ingest_is_refused_to_non_staff(client_for, who, status, code):
    FeedChartFactory(slug="apple")
    user = {"anonymous": None, "listener": UserFactory(), "artist": ArtistUserFactory()}[who]
    with mock.patch("common.tasks.send_task_now") as send_task_now:
        response = client_for(user).post(url("chart-ingest", slug="apple"))
    assert response.status_code == status
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == code
    send_task_now.assert_not_called()


def test_ingest_errors(client_for):
    editor = client_for(EditorFactory())
    assert editor.post(url("chart-ingest", slug="missing")).status_code == 404
    ChartFactory(slug="csv-only", feed_url="")
    response = editor.post(url("chart-ingest", slug="csv-only"))
    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "no_feed_url",
                "detail": "This chart has no feed URL; its data comes from file imports.",
                "attr": None,
            }
        ],
    }


@pytest.mark.parametrize(
    "name", ["chart-list", "chart-latest", "chart-movers", "chart-history", "chart-artists"]
)
def test_read_endpoints_refuse_writes(client_for, chart, name):
    target = url(name) if name == "chart-list" else url(name, slug="top")
    response = client_for(EditorFactory()).post(target, {})
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "attr"),
    [
        ("/api/v1/charts/top/2024-02-30/", {}, 400, "invalid", "day"),
        ("/api/v1/charts/top/20240301/", {}, 400, "invalid", "day"),
        ("/api/v1/charts/top/yesterday/dropped/", {}, 400, "invalid", "day"),
        ("/api/v1/charts/top/2023-01-01/", {}, 404, "not_found", None),
        ("/api/v1/charts/top/2023-01-01/dropped/", {}, 404, "not_found", None),
        ("/api/v1/charts/nope/", {}, 404, "not_found", None),
        ("/api/v1/charts/nope/2024-03-01/", {}, 404, "not_found", None),
        ("/api/v1/charts/top/2024-03-01/", {"status": "hot"}, 400, "invalid_choice", "status"),
        ("/api/v1/charts/top/", {"status": ""}, 400, "blank", "status"),
        ("/api/v1/charts/top/artists/", {"to": ""}, 400, "blank", "to"),
        ("/api/v1/charts/top/", {"colour": "red"}, 400, "unknown_parameter", "colour"),
        ("/api/v1/charts/", {"status": "new"}, 400, "unknown_parameter", "status"),
        ("/api/v1/charts/top/2024-03-01/dropped/", {"x": "1"}, 400, "unknown_parameter", "x"),
        (
            "/api/v1/charts/top/history/",
            {"title": "a", "artist": "b", "limit": "5"},
            400,
            "unknown_parameter",
            "limit",
        ),
        ("/api/v1/charts/top/artists/", {"limit": ["1", "2"]}, 400, "multiple_values", "limit"),
        ("/api/v1/charts/top/movers/", {"offset": ""}, 400, "blank", "offset"),
        ("/api/v1/charts/top/", {"limit": "0"}, 400, "invalid", "limit"),
        (
            "/api/v1/charts/top/movers/",
            {"direction": ["up", "down"]},
            400,
            "multiple_values",
            "direction",
        ),
        (
            "/api/v1/charts/top/movers/",
            {"direction": "sideways"},
            400,
            "invalid_choice",
            "direction",
        ),
        ("/api/v1/charts/top/movers/", {"date": "03/01/2024"}, 400, "invalid", "date"),
        ("/api/v1/charts/top/movers/", {"date": "2023-01-01"}, 404, "not_found", None),
        ("/api/v1/charts/top/history/", {}, 400, "song_or_title_artist", "non_field_errors"),
        (
            "/api/v1/charts/top/history/",
            {"title": "a"},
            400,
            "title_artist_together",
            "non_field_errors",
        ),
        (
            "/api/v1/charts/top/history/",
            {"song": "1", "artist": "b"},
            400,
            "title_artist_together",
            "non_field_errors",
        ),
        ("/api/v1/charts/top/history/", {"song": "x"}, 400, "invalid", "song"),
        ("/api/v1/charts/top/history/", {"song": "0"}, 400, "min_value", "song"),
        ("/api/v1/charts/top/history/", {"song": str(2**70)}, 400, "max_value", "song"),
        ("/api/v1/charts/top/history/", {"song": "999999"}, 404, "not_found", None),
        (
            "/api/v1/charts/top/history/",
            {"song": "1", "title": "a", "artist": "b"},
            400,
            "song_or_title_artist",
            "non_field_errors",
        ),
        ("/api/v1/charts/top/artists/", {"from": "2024-13-01"}, 400, "invalid", "from"),
        (
            "/api/v1/charts/top/artists/",
            {"from": "2024-03-02", "to": "2024-03-01"},
            400,
            "invalid",
            "to",
        ),
        ("/api/v1/charts/nope/artists/", {}, 404, "not_found", None),
    ],
)
def test_bad_input(api_client, chart, path, params, status, code, attr):
    response = api_client.get(path, params)
    assert response.status_code == status
    body = response.json()
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    assert (body["errors"][0]["code"], body["errors"][0]["attr"]) == (code, attr)


@pytest.mark.parametrize(
    ("method", "path", "who", "status", "code"),
    [
        # A method the view lacks is 405 before anything is looked up.
        ("post", "/api/v1/charts/nope/", "listener", 405, "method_not_allowed"),
        # Authentication and permissions come before the chart.
        ("post", "/api/v1/charts/nope/ingest/", None, 401, "not_authenticated"),
        ("post", "/api/v1/charts/nope/ingest/", "listener", 403, "permission_denied"),
        ("post", "/api/v1/charts/nope/ingest/?x=1", "editor", 400, "unknown_parameter"),
        ("post", "/api/v1/charts/nope/ingest/", "editor", 404, "not_found"),
        # Then the path date, then the query string, then the chart, then the snapshot.
        ("get", "/api/v1/charts/nope/2024-02-30/?status=hot", None, 400, "invalid"),
        ("get", "/api/v1/charts/nope/2024-03-01/?status=hot", None, 400, "invalid_choice"),
        ("get", "/api/v1/charts/nope/2024-03-01/?status=new", None, 404, "not_found"),
        ("get", "/api/v1/charts/top/2023-03-01/?status=new", None, 404, "not_found"),
    ],
)
def test_chart_endpoints_resolve_in_order(client_for, chart, method, path, who, status, code):
    user = {None: None, "listener": UserFactory(), "editor": EditorFactory()}[who]
    with mock.patch("common.tasks.send_task_now") as send_task_now:
        response = getattr(client_for(user), method)(path)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
    send_task_now.assert_not_called()


def test_options_needs_no_chart(api_client):
    assert api_client.options("/api/v1/charts/nope/").status_code == 200


def test_chart_without_snapshots_is_404(api_client):
    ChartFactory(slug="fresh")
    assert api_client.get(url("chart-latest", slug="fresh")).status_code == 404
    assert api_client.get(url("chart-movers", slug="fresh")).status_code == 404


# ----------------------------------------------------------------------------- query counts


def make_chart(slug, size, days=3):
    """`size` tracks rotating (all climb one place, the top one falls to the bottom), plus
    size // 4 (at least one) new tracks a day that drop out the next day."""
    chart = ChartFactory(slug=slug)
    fresh = max(1, size // 4)
    ingest(
        chart,
        {
            D1 + timedelta(i): [f"{slug}-{(n + i) % size}" for n in range(size)]
            + [f"{slug}-new{i}-{n}" for n in range(fresh)]
            for i in range(days)
        },
    )
    songs = SongFactory.create_batch(2)
    tracks = ChartTrack.objects.filter(key__startswith=f"spotify:id-{slug}").order_by("id")
    for track, song in zip(tracks, songs, strict=False):
        chart_track_resolve(track=track, song=song)
    return chart


@pytest.mark.parametrize(
    ("name", "params", "queries"),
    [
        ("chart-latest", {}, 4),
        ("chart-day", {"status": "new"}, 4),
        ("chart-dropped", {}, 4),
        ("chart-movers", {"direction": "down"}, 4),
        ("chart-history", {"title": "x-0", "artist": "Artist of x-0"}, 2),
        ("chart-artists", {}, 3),
    ],
)
def test_query_counts_do_not_grow_with_the_rows(
    api_client, django_assert_num_queries, name, params, queries
):
    returned = {}
    for slug, size in (("few", 2), ("many", 80)):
        make_chart(slug, size)
        kwargs = {"slug": slug}
        if name in ("chart-day", "chart-dropped"):
            kwargs["day"] = (D1 + timedelta(2)).isoformat()
        if name == "chart-history":
            params = {"title": f"{slug}-0", "artist": f"Artist of {slug}-0"}
        paginated = name != "chart-history"
        with django_assert_num_queries(queries):
            response = api_client.get(
                url(name, **kwargs), {**params, **({"limit": 100} if paginated else {})}
            )
        assert response.status_code == 200
        body = response.json()
        returned[slug] = len(body if isinstance(body, list) else body["results"])
    assert 0 < returned["few"] <= returned["many"]


def test_chart_list_query_count(api_client, django_assert_num_queries):
    make_chart("one", 2)
    with django_assert_num_queries(2):
        assert api_client.get(url("chart-list")).json()["count"] == 1
    for n in range(5):
        make_chart(f"more{n}", 2)
    with django_assert_num_queries(2):
        assert api_client.get(url("chart-list")).json()["count"] == 6


def test_schema_documents_the_unknown_parameter_error(api_client):
    """Any name may come back in `attr` with code unknown_parameter: the schema says so on
    every chart endpoint (schemathesis sends such parameters)."""
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    chart_operations = [
        operation
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/charts/")
        for operation in operations.values()
    ]
    assert len(chart_operations) == 8
    for operation in chart_operations:
        name = operation["operationId"].title().replace("_", "")
        items = components[f"{name}Error"]["oneOf"]
        assert {"$ref": "#/components/schemas/UnknownQueryParameterError"} in items
    unknown = components["UnknownQueryParameterError"]["properties"]
    assert unknown["attr"] == {
        "type": "string",
        "description": "The query parameter the endpoint does not know.",
    }
