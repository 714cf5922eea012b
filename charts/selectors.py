"""Chart reads. Each list selector declares its joins; none issues a query per row."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.http import Http404

from catalog.selectors import sees_everything, song_visibility_q, song_visible_for
from charts.models import Chart, ChartEntry, ChartSnapshot
from charts.normalization import name_key
from common.viewer import Viewer

ENTRY_STATUSES = ("new", "reentry", "up", "down", "same")
_STATUS_FILTERS = {
    "new": Q(is_new=True),
    "reentry": Q(is_reentry=True),
    "up": Q(movement__gt=0),
    "down": Q(movement__lt=0),
    "same": Q(movement=0),
}


class HistoryPoint(TypedDict):
    date: date
    position: int


class ArtistPresence(TypedDict):
    artist_key: str
    artist_credit: str
    catalog_name: str | None
    artist: int | None
    entries: int
    tracks: int
    days: int
    best_position: int


def chart_list() -> QuerySet[Chart]:
    return Chart.objects.annotate(latest_date=Max("snapshots__date")).order_by("slug")


def chart_get(*, slug: str) -> Chart:
    chart = Chart.objects.filter(slug=slug).first()
    if chart is None:
        raise Http404("No chart with this slug.")
    return chart


def snapshot_get(*, chart: Chart, day: date | None = None) -> ChartSnapshot:
    """The snapshot of `day`, or the latest one; 404 when there is none.

    Carries `previous_date`, the date of the chart's snapshot before it (or None).
    """
    previous = ChartSnapshot.objects.filter(
        chart=OuterRef("chart"), date__lt=OuterRef("date")
    ).order_by("-date")
    snapshots = ChartSnapshot.objects.filter(chart=chart).annotate(
        previous_date=Subquery(previous.values("date")[:1])
    )
    snapshot = snapshots.filter(date=day).first() if day else snapshots.order_by("-date").first()
    if snapshot is None:
        raise Http404("No snapshot of this chart on this date." if day else "No snapshot yet.")
    return snapshot


def _entries_for(user: Viewer) -> QuerySet[ChartEntry]:
    """Entries with `song_ref`: the song id when the caller may see the song, else None
    (the shape of an unmatched entry). Who may see a song is catalog's one rule.

    The entry itself (a title and an artist as the chart printed them) is public.
    """
    entries = ChartEntry.objects.all()
    if sees_everything(user):
        return entries.annotate(song_ref=F("song_id"))
    visible = song_visibility_q(user=user, prefix="song__")
    return entries.annotate(
        song_ref=Case(
            When(visible, then=F("song_id")), default=None, output_field=BigIntegerField()
        )
    )


def snapshot_entries(
    *, snapshot: ChartSnapshot, user: Viewer, status: str | None = None
) -> QuerySet[ChartEntry]:
    entries = _entries_for(user).filter(snapshot=snapshot)
    if status:
        entries = entries.filter(_STATUS_FILTERS[status])
    return entries.order_by("position")


def snapshot_dropped_entries(*, snapshot: ChartSnapshot, user: Viewer) -> QuerySet[ChartEntry]:
    """Entries of the chart's previous snapshot whose track is not in this one."""
    previous = (
        ChartSnapshot.objects.filter(chart_id=snapshot.chart_id, date__lt=snapshot.date)
        .order_by("-date")
        .values("id")[:1]
    )
    return (
        _entries_for(user)
        .filter(snapshot_id__in=previous)
        .exclude(track_id__in=ChartEntry.objects.filter(snapshot=snapshot).values("track_id"))
        .order_by("position")
    )


def snapshot_movers(
    *, snapshot: ChartSnapshot, user: Viewer, direction: str = "up"
) -> QuerySet[ChartEntry]:
    entries = _entries_for(user).filter(snapshot=snapshot)
    if direction == "down":
        return entries.filter(movement__lt=0).order_by("movement", "position")
    return entries.filter(movement__gt=0).order_by("-movement", "position")


def track_history(
    *,
    chart: Chart,
    user: Viewer,
    song_id: int | None = None,
    title: str = "",
    artist: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[HistoryPoint]:
    """[{date, position}] of a song (by catalog id) or a title + artist, oldest first.

    When several tracks share the name (two versions charting the same day), each date
    gives the best position. A song the caller may not see is a 404, as at /songs/{id}/.
    """
    entries = ChartEntry.objects.filter(snapshot__chart=chart)
    if song_id is not None:
        song_visible_for(user=user, song_id=song_id)
        entries = entries.filter(song_id=song_id)
    else:
        entries = entries.filter(track__name_key=name_key(title, artist))
    if date_from:
        entries = entries.filter(snapshot__date__gte=date_from)
    if date_to:
        entries = entries.filter(snapshot__date__lte=date_to)
    return list(
        entries.values(date=F("snapshot__date"))
        .annotate(position=Min("position"))
        .order_by("date")
        .values("date", "position")
    )


def chart_artist_ranking(
    *, chart: Chart, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[ChartEntry, ArtistPresence]:
    """Artists by chart presence in a date range: entries (track-days) first, then the best
    position. Grouped by the normalised primary artist, so unmatched entries count too."""
    entries = ChartEntry.objects.filter(snapshot__chart=chart)
    if date_from:
        entries = entries.filter(snapshot__date__gte=date_from)
    if date_to:
        entries = entries.filter(snapshot__date__lte=date_to)
    return (
        entries.values(artist_key=F("track__artist_key"))
        .annotate(
            artist_credit=Min("track__artist_name"),
            catalog_name=Max("artist__name"),
            artist=Max("artist_id"),
            entries=Count("id"),
            tracks=Count("track_id", distinct=True),
            days=Count("snapshot_id", distinct=True),
            best_position=Min("position"),
        )
        .order_by("-entries", "best_position", "artist_key")
    )


class LinkRates(TypedDict):
    tracks: int
    tracks_linked: int
    entries: int
    entries_linked: int


def chart_link_rates(
    *, chart: Chart | None = None, date_from: date | None = None, date_to: date | None = None
) -> LinkRates:
    """How many of the tracks and entries (of a chart and date range, or of all charts) are
    linked to a catalog song; album and artist entries count when linked to an artist."""
    entries = ChartEntry.objects.all()
    if chart is not None:
        entries = entries.filter(snapshot__chart=chart)
    if date_from:
        entries = entries.filter(snapshot__date__gte=date_from)
    if date_to:
        entries = entries.filter(snapshot__date__lte=date_to)
    linked = Q(song__isnull=False) | (~Q(track__kind="songs") & Q(artist__isnull=False))
    counts = entries.aggregate(
        tracks=Count("track_id", distinct=True),
        tracks_linked=Count("track_id", distinct=True, filter=linked),
        entries=Count("id"),
        entries_linked=Count("id", filter=linked),
    )
    return LinkRates(**counts)  # type: ignore[typeddict-item]


def format_link_rates(rates: LinkRates) -> str:
    def share(part: int, whole: int) -> str:
        return f"{part} of {whole} ({100 * part / whole:.1f}%)" if whole else "0 of 0"

    return (
        f"linked to the catalog: {share(rates['tracks_linked'], rates['tracks'])} tracks, "
        f"{share(rates['entries_linked'], rates['entries'])} entries"
    )
