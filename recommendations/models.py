"""Recommendation data: listener preferences, fitted models, precomputed picks, build logs.

A fitted model is an artifact file (the engine pickled with its id maps) plus, per song,
its collaborative neighbours. Everything a build produces hangs off one
``RecommendationModel`` row; readers use the single active one, so switching the active
flag in one transaction swaps every consumer at once.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from catalog.models import Artist, Genre, Song


class Mood(models.TextChoices):
    HAPPY = "happy", "Happy"
    SAD = "sad", "Sad"
    ENERGETIC = "energetic", "Energetic"
    CALM = "calm", "Calm"
    FOCUS = "focus", "Focus"
    PARTY = "party", "Party"
    ROMANTIC = "romantic", "Romantic"
    ANGRY = "angry", "Angry"


class UserPreferences(models.Model):
    """What a listener told us they like; the seeds of their cold start."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="music_preferences",
    )
    favorite_genres = models.ManyToManyField(Genre, blank=True, related_name="+")
    favorite_artists = models.ManyToManyField(Artist, blank=True, related_name="+")
    moods = ArrayField(
        models.CharField(max_length=16, choices=Mood.choices), default=list, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "user preferences"

    def __str__(self) -> str:
        return f"Preferences of user {self.user_id}"


class RecommendationModel(models.Model):
    """One fitted collaborative model; at most one row is active."""

    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=False)
    artifact = models.FileField(upload_to="recommendations/models/")
    algorithm = models.CharField(max_length=200)
    users_count = models.PositiveIntegerField(default=0)
    items_count = models.PositiveIntegerField(default=0)
    interactions_count = models.PositiveIntegerField(default=0)
    fit_seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="recommendationmodel_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"Model {self.pk} ({'active' if self.is_active else 'inactive'})"


class SongNeighbours(models.Model):
    """A song's collaborative neighbours under one model, most similar first."""

    model = models.ForeignKey(
        RecommendationModel, on_delete=models.CASCADE, related_name="neighbours"
    )
    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="+")
    # Plain ids rather than foreign keys: one row per song keeps a build's write small;
    # readers re-check existence and visibility anyway.
    similar_ids = ArrayField(models.BigIntegerField())
    scores = ArrayField(models.FloatField())

    class Meta:
        verbose_name_plural = "song neighbours"
        constraints = [
            models.UniqueConstraint(fields=["model", "song"], name="songneighbours_one_per_model")
        ]

    def __str__(self) -> str:
        return f"Neighbours of song {self.song_id} (model {self.model_id})"


class UserPicks(models.Model):
    """A listener's precomputed personalised picks: ``[{song, score, reason}]`` best first."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="recommendation_picks",
    )
    model = models.ForeignKey(
        RecommendationModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField()
    is_cold_start = models.BooleanField(default=False)
    items = models.JSONField(default=list)

    class Meta:
        verbose_name_plural = "user picks"
        indexes = [models.Index(fields=["generated_at"])]

    def __str__(self) -> str:
        return f"Picks of user {self.user_id}"


class RecommendationLog(models.Model):
    """One model build or one picks refresh (of one user or a batch), with its outcome."""

    class Kind(models.TextChoices):
        BUILD = "build", "Model build"
        REFRESH = "refresh", "Picks refresh"

    class Status(models.TextChoices):
        SUCCESS = "success", "Success"
        SKIPPED = "skipped", "Skipped (not enough data)"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    # Set when the refresh was for one listener (API or task); batches leave it empty.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model = models.ForeignKey(
        RecommendationModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    users_count = models.PositiveIntegerField(default=0)
    items_count = models.PositiveIntegerField(default=0)
    interactions_count = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.status} at {self.created_at:%Y-%m-%d %H:%M}"
