from django.urls import path

from recommendations import views

urlpatterns = [
    path("recommendations/", views.SeedRecommendationsView.as_view(), name="recommendations"),
    path(
        "recommendations/genre-seeds/",
        views.GenreSeedsView.as_view(),
        name="recommendations-genre-seeds",
    ),
    path("recommendations/me/", views.MyPicksView.as_view(), name="recommendations-me"),
    path(
        "recommendations/me/refresh/",
        views.MyPicksRefreshView.as_view(),
        name="recommendations-me-refresh",
    ),
    path("songs/trending/", views.TrendingSongsView.as_view(), name="songs-trending"),
    path("songs/<int:pk>/similar/", views.SimilarSongsView.as_view(), name="songs-similar"),
    path("users/me/preferences/", views.MyPreferencesView.as_view(), name="users-me-preferences"),
]
