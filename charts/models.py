"""Charts: daily snapshots of external charts, their entries with trend fields, and run logs.

A chart's history is a series of snapshots (one per chart and date). Entries point to a
`ChartTrack`, the chart-independent identity of a track (by external id, or by normalised
title and artist when the source has no ids), so a track's history survives spelling
drift, and catalog matching is done, and fixed by staff, once per track, not per row.
"""

from django.db import models
from django.db.models import Q

from catalog.models import Artist, Song
from charts.parsers import KIND_ALBUMS, KIND_ARTISTS, KIND_SONGS, SOURCE_CHOICES


class ChartKind(models.TextChoices):
    SONGS = KIND_SONGS, "Songs"
    ALBUMS = KIND_ALBUMS, "Albums"
    ARTISTS = KIND_ARTISTS, "Artists"


class Chart(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=32, choices=SOURCE_CHOICES)
    # Lower-case ISO 3166-1 alpha-2 code, or "global"; blank when the chart has no country.
    country = models.CharField(max_length=8, blank=True)
    kind = models.CharField(max_length=8, choices=ChartKind.choices, default=ChartKind.SONGS)
    feed_url = models.URLField(max_length=500, blank=True)
    size = models.PositiveSmallIntegerField(default=100, help_text="Entries per snapshot.")
    active = models.BooleanField(default=True, help_text="Pulled daily by Celery Beat.")
    # Validators from the last successful pull, sent back for a conditional request.
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^([a-z]{2}|global)$"),
                name="chart_country_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ChartTrack(models.Model):
    """One track (or album) as charts know it, shared by every chart that lists it."""

    class MatchMethod(models.TextChoices):
        NONE = "", "Unmatched"
        EXTERNAL_ID = "external_id", "External id"
        ISRC = "isrc", "ISRC"
        CATALOG_ID = "catalog_id", "Catalog id (platform charts)"
        NAME = "name", "Title and artist"
        MANUAL = "manual", "Staff"

    # "spotify:<id>", "apple:<id>", "apple-album:<id>", or "name:<title>|<artist>".
    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=8, choices=ChartKind.choices, default=ChartKind.SONGS)
    title = models.CharField(max_length=500)
    artist_name = models.CharField(max_length=500)
    name_key = models.CharField(max_length=1000, db_index=True)
    artist_key = models.CharField(max_length=500, db_index=True)
    external_id = models.CharField(max_length=64, blank=True)
    artist_external_id = models.CharField(max_length=64, blank=True)
    isrc = models.CharField(max_length=12, blank=True)
    genres = models.JSONField(default=list, blank=True)
    release_date = models.DateField(null=True, blank=True)
    song = models.ForeignKey(
        Song, null=True, blank=True, on_delete=models.SET_NULL, related_name="chart_tracks"
    )
    artist = models.ForeignKey(
        Artist, null=True, blank=True, on_delete=models.SET_NULL, related_name="chart_tracks"
    )
    match_method = models.CharField(
        max_length=16, choices=MatchMethod.choices, blank=True, default=MatchMethod.NONE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(
                fields=["kind", "created_at"],
                name="charttrack_unmatched",
                condition=Q(song__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} - {self.artist_name}"


class UnmatchedTrack(ChartTrack):
    """Tracks staff still have to match: songs without a catalog song, albums without an
    artist (albums are not linked to catalog albums)."""

    UNMATCHED = Q(kind=KIND_SONGS, song__isnull=True) | Q(
        kind__in=(KIND_ALBUMS, KIND_ARTISTS), artist__isnull=True
    )

    class Meta:
        proxy = True
        verbose_name = "unmatched track"


class ChartSnapshot(models.Model):
    chart = models.ForeignKey(Chart, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField()
    fetched_at = models.DateTimeField()
    # The feed's own "updated" time, when it has one.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    checksum = models.CharField(max_length=64)
    entry_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["chart", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["chart", "date"], name="chartsnapshot_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.chart.slug} {self.date}"


class ChartEntry(models.Model):
    snapshot = models.ForeignKey(ChartSnapshot, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveSmallIntegerField()
    track = models.ForeignKey(ChartTrack, on_delete=models.PROTECT, related_name="entries")
    # As the feed spelled them that day.
    title = models.CharField(max_length=500)
    artist_name = models.CharField(max_length=500)
    external_id = models.CharField(max_length=64, blank=True)
    streams = models.BigIntegerField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    artwork_url = models.URLField(max_length=500, blank=True)
    explicit = models.BooleanField(null=True, blank=True)
    # Copied from the track (kept in step by services.chart_track_resolve) for direct joins.
    song = models.ForeignKey(
        Song, null=True, blank=True, on_delete=models.SET_NULL, related_name="chart_entries"
    )
    artist = models.ForeignKey(
        Artist, null=True, blank=True, on_delete=models.SET_NULL, related_name="chart_entries"
    )
    # Trend fields, computed at ingest (charts.trends).
    previous_position = models.PositiveSmallIntegerField(null=True, blank=True)
    movement = models.SmallIntegerField(null=True, blank=True)
    is_new = models.BooleanField(default=False)
    is_reentry = models.BooleanField(default=False)
    peak_position = models.PositiveSmallIntegerField()
    days_on_chart = models.PositiveIntegerField()

    TREND_FIELDS = (
        "previous_position",
        "movement",
        "is_new",
        "is_reentry",
        "peak_position",
        "days_on_chart",
    )

    class Meta:
        ordering = ["snapshot", "position"]
        verbose_name_plural = "chart entries"
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "position"], name="chartentry_unique_position"
            ),
            models.UniqueConstraint(fields=["snapshot", "track"], name="chartentry_unique_track"),
            models.CheckConstraint(condition=Q(position__gte=1), name="chartentry_position_1"),
            models.CheckConstraint(
                condition=Q(peak_position__lte=models.F("position")),
                name="chartentry_peak_not_below_position",
            ),
        ]
        indexes = [
            models.Index(fields=["track", "snapshot"]),
            models.Index(fields=["song", "snapshot"]),
            models.Index(fields=["artist"]),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.title}"


class IngestionRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        UNCHANGED = "unchanged", "Unchanged (feed not modified)"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Manual (API or admin)"
        IMPORT = "import", "File import"

    chart = models.ForeignKey(Chart, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULE)
    task_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    first_date = models.DateField(null=True, blank=True)
    last_date = models.DateField(null=True, blank=True)
    snapshots_written = models.PositiveIntegerField(default=0)
    entries_written = models.PositiveIntegerField(default=0)
    entries_updated = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    tracks_created = models.PositiveIntegerField(default=0)
    tracks_matched = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["chart", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.chart.slug} {self.started_at:%Y-%m-%d %H:%M} {self.status}"
