"""Listening analytics: raw events, their daily rollups and the rollup watermark.

Stable names other apps may read (recommendations does):

``ListeningEvent`` (table ``analytics_listeningevent``)
    One row per client event. ``user`` (nullable: deleting a user sets it to NULL, the event
    stays, anonymised), ``song``, ``action`` (``Action``: play, complete, skip, like, share),
    ``occurred_at`` (client time, validated to [now - 30 days, now + 1 hour]), ``received_at``
    (server time), ``position_ms``, ``context`` (small JSON object: ``source``, ``id``,
    ``device``) and ``event_id`` (client id, unique per user, used to drop retried events).
    ``flagged``/``flag_reason`` (``FlagReason``): set at ingest when the event is not
    plausible (see ``analytics.services.ingest``); flagged events are stored but left out
    of every rollup, top list, trend and score. Readers of the raw table that count
    listening must filter ``flagged=False``.

Daily rollups (UTC days). Every one carries the five action counters of ``ActionCounts``:
``plays``, ``completes``, ``skips``, ``likes``, ``shares`` (one per ``Action``).

``SongDailyStats``     (song, day) + ``listeners`` (distinct users with a play that day).
``ArtistDailyStats``   (artist, day), by the song's artist.
``GenreDailyStats``    (genre, day), by the song's genre (songs without a genre are left out).
``UserDailyStats``     (user, day) + ``first_event_at``/``last_event_at``. Deleted with the user.
``UserSongDailyStats`` (user, song, day): per-user interactions. Deleted with the user.
``DailyStats``         (day) platform totals + ``active_users`` (any event) and ``listeners``,
                       and the flagged volumes ``flagged_plays`` and ``flagged_events``.

Every counter and listener count of the rollups leaves flagged events out.

Running totals (``SongRunningTotals``, ``ArtistRunningTotals``, ``GenreRunningTotals``): for
every entity and every day from its first event through ``RollupWatermark.through_day`` the
cumulative counters up to and including that day. A range sum is ``total(to) - total(from-1)``,
so a 365-day read touches two rows per entity instead of 365.

``ListenerDays``: per listener, a bit string of the days with at least one play (bit 0 is
``first_day``), so distinct listeners over any range is one scan of one row per listener.
Anonymised (user set to NULL) rather than deleted with the user, so counts do not change.

``UserActivity``: per user, the time of their latest event (any action).

``RollupWatermark``: the rollups include exactly the events with ``id <= last_event_id``;
reads add the tail (``id > last_event_id``) from the raw table.

Only ``analytics.services`` writes these tables; the counters are maintained incrementally
in the same transaction that moves the watermark, by the ``analytics.rollup`` task every
minute (so the rollups lag the events by about a minute). Windowed reads over many songs
(trending) are served by the ``(day, song)`` index of ``SongDailyStats``; the rollups'
foreign keys carry no database constraint (derived data; Django still cascades deletions).
"""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Action(models.TextChoices):
    PLAY = "play", "Play"
    COMPLETE = "complete", "Complete"
    SKIP = "skip", "Skip"
    LIKE = "like", "Like"
    SHARE = "share", "Share"


# Action -> counter column, in the order used everywhere (responses, SQL, benchmarks).
ACTION_COUNTERS: dict[str, str] = {
    Action.PLAY: "plays",
    Action.COMPLETE: "completes",
    Action.SKIP: "skips",
    Action.LIKE: "likes",
    Action.SHARE: "shares",
}
COUNTER_FIELDS: tuple[str, ...] = tuple(ACTION_COUNTERS.values())


class FlagReason(models.TextChoices):
    """Why an event is stored but not counted (``analytics.services.ingest`` decides)."""

    # The same song and action again sooner than the song's length after a counted one.
    REPEAT = "repeat", "Repeated sooner than the song's length"
    # A play less than MIN_PLAY_MS after (or before) another counted play of the user.
    OVERLAP = "overlap", "Overlaps another play of the listener"


class ListeningEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="listening_events",
        db_index=False,  # covered by the (user, occurred_at) index
    )
    song = models.ForeignKey(
        "catalog.Song",
        on_delete=models.CASCADE,
        related_name="listening_events",
        db_index=False,  # covered by the (song, occurred_at) index
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    position_ms = models.PositiveIntegerField(null=True, blank=True)
    context = models.JSONField(null=True, blank=True)
    event_id = models.CharField(max_length=64, null=True, blank=True)
    # db_default too: COPY loads and raw INSERTs that omit the columns store counted events.
    flagged = models.BooleanField(default=False, db_default=False)
    flag_reason = models.CharField(max_length=8, choices=FlagReason.choices, null=True, blank=True)

    class Meta:
        indexes = [
            # Events arrive roughly in time order, so a BRIN index stays tiny and precise.
            BrinIndex(fields=["occurred_at"], name="event_occurred_brin", pages_per_range=32),
            models.Index(fields=["user", "occurred_at"], name="event_user_time"),
            models.Index(fields=["song", "occurred_at"], name="event_song_time"),
            # Ingest compares a batch with the listener's counted events around it; the
            # flagged ones (unbounded under abuse) are not in this index, so that read stays
            # small however much a client floods.
            models.Index(
                fields=["user", "occurred_at"],
                condition=Q(flagged=False),
                name="event_user_time_counted",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_id"],
                condition=Q(event_id__isnull=False),
                name="event_unique_client_id_per_user",
            ),
            models.CheckConstraint(
                condition=Q(action__in=[a.value for a in Action]), name="event_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(flagged=False, flag_reason__isnull=True)
                | Q(flagged=True, flag_reason__in=[r.value for r in FlagReason]),
                name="event_flag_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} song={self.song_id} user={self.user_id} at={self.occurred_at}"


# Foreign keys of the derived tables: no database constraint (a per-row check would double
# the cost of a bulk rollup, and the rows are rebuilt from the events anyway) and no index of
# their own (the unique keys lead with them, or a rare catalog deletion may scan). Deleting a
# song, artist, genre or user still removes its rows: Django cascades them.
DERIVED = {"db_constraint": False, "db_index": False}


class ActionCounts(models.Model):
    plays = models.PositiveIntegerField(default=0)
    completes = models.PositiveIntegerField(default=0)
    skips = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class RunningCounts(models.Model):
    plays = models.BigIntegerField(default=0)
    completes = models.BigIntegerField(default=0)
    skips = models.BigIntegerField(default=0)
    likes = models.BigIntegerField(default=0)
    shares = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class DailyStats(ActionCounts):
    day = models.DateField(unique=True)
    active_users = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)
    # Stored but not counted (``ListeningEvent.flagged``): plays, and events of any action.
    flagged_plays = models.PositiveIntegerField(default=0, db_default=0)
    flagged_events = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name_plural = "daily stats"

    def __str__(self) -> str:
        return f"{self.day}"


class SongDailyStats(ActionCounts):
    song = models.ForeignKey("catalog.Song", on_delete=models.CASCADE, related_name="+", **DERIVED)
    day = models.DateField()
    listeners = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "song daily stats"
        constraints = [
            models.UniqueConstraint(fields=["song", "day"], name="songdaily_unique_song_day")
        ]
        indexes = [models.Index(fields=["day", "song"], name="songdaily_day_song")]

    def __str__(self) -> str:
        return f"song {self.song_id} on {self.day}"


class ArtistDailyStats(ActionCounts):
    artist = models.ForeignKey(
        "catalog.Artist", on_delete=models.CASCADE, related_name="+", **DERIVED
    )
    day = models.DateField()

    class Meta:
        verbose_name_plural = "artist daily stats"
        constraints = [models.UniqueConstraint(fields=["artist", "day"], name="artistdaily_unique")]
        indexes = [models.Index(fields=["day", "artist"], name="artistdaily_day_artist")]

    def __str__(self) -> str:
        return f"artist {self.artist_id} on {self.day}"


class GenreDailyStats(ActionCounts):
    genre = models.ForeignKey(
        "catalog.Genre", on_delete=models.CASCADE, related_name="+", **DERIVED
    )
    day = models.DateField()

    class Meta:
        verbose_name_plural = "genre daily stats"
        constraints = [models.UniqueConstraint(fields=["genre", "day"], name="genredaily_unique")]
        indexes = [models.Index(fields=["day", "genre"], name="genredaily_day_genre")]

    def __str__(self) -> str:
        return f"genre {self.genre_id} on {self.day}"


class UserDailyStats(ActionCounts):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", **DERIVED
    )
    day = models.DateField()
    first_event_at = models.DateTimeField()
    last_event_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "user daily stats"
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="userdaily_unique")]
        indexes = [models.Index(fields=["day"], name="userdaily_day")]

    def __str__(self) -> str:
        return f"user {self.user_id} on {self.day}"


class UserSongDailyStats(ActionCounts):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", **DERIVED
    )
    song = models.ForeignKey("catalog.Song", on_delete=models.CASCADE, related_name="+", **DERIVED)
    day = models.DateField()

    class Meta:
        verbose_name_plural = "user song daily stats"
        constraints = [
            models.UniqueConstraint(fields=["user", "song", "day"], name="usersongdaily_unique")
        ]
        # song_listener_scores reads a range of days across every listener.
        indexes = [models.Index(fields=["day"], name="usersongdaily_day")]

    def __str__(self) -> str:
        return f"user {self.user_id}, song {self.song_id} on {self.day}"


class SongRunningTotals(RunningCounts):
    song = models.ForeignKey("catalog.Song", on_delete=models.CASCADE, related_name="+", **DERIVED)
    day = models.DateField()

    class Meta:
        verbose_name_plural = "song running totals"
        constraints = [
            models.UniqueConstraint(fields=["day", "song"], name="songrunning_unique_day_song")
        ]

    def __str__(self) -> str:
        return f"song {self.song_id} through {self.day}"


class ArtistRunningTotals(RunningCounts):
    artist = models.ForeignKey(
        "catalog.Artist", on_delete=models.CASCADE, related_name="+", **DERIVED
    )
    day = models.DateField()

    class Meta:
        verbose_name_plural = "artist running totals"
        constraints = [
            models.UniqueConstraint(fields=["day", "artist"], name="artistrunning_unique")
        ]

    def __str__(self) -> str:
        return f"artist {self.artist_id} through {self.day}"


class GenreRunningTotals(RunningCounts):
    genre = models.ForeignKey(
        "catalog.Genre", on_delete=models.CASCADE, related_name="+", **DERIVED
    )
    day = models.DateField()

    class Meta:
        verbose_name_plural = "genre running totals"
        constraints = [models.UniqueConstraint(fields=["day", "genre"], name="genrerunning_unique")]

    def __str__(self) -> str:
        return f"genre {self.genre_id} through {self.day}"


class BitVaryingField(models.Field):
    """PostgreSQL ``bit varying``; read and written as a string of 0s and 1s."""

    description = "Bit string"

    def db_type(self, connection):
        return "bit varying"


class ListenerDays(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    first_day = models.DateField()
    # Bit i is set when the listener played something on first_day + i days.
    days = BitVaryingField()

    class Meta:
        verbose_name_plural = "listener days"

    def __str__(self) -> str:
        return f"listener {self.user_id} from {self.first_day}"


class UserActivity(models.Model):
    """When each user last did anything (any action): "active in the last 24 hours" is one
    index range count. Anonymised (user set to NULL) with the user, like the events."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    last_event_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name_plural = "user activity"

    def __str__(self) -> str:
        return f"user {self.user_id} last active {self.last_event_at}"


class RollupWatermark(models.Model):
    name = models.CharField(max_length=32, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    last_received_at = models.DateTimeField(null=True, blank=True)
    # Running totals exist for every day up to and including this one.
    through_day = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: events <= {self.last_event_id}"
