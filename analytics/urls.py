from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/events/", views.EventsView.as_view(), name="analytics-events"),
    path("analytics/summary/", views.SummaryView.as_view(), name="analytics-summary"),
    path("analytics/trends/", views.TrendsView.as_view(), name="analytics-trends"),
    path(
        "analytics/users/<int:pk>/",
        views.UserEngagementView.as_view(),
        name="analytics-user",
    ),
    # The listener's own history (issue 12): under users/me/, served by analytics, which may
    # read users and catalog (users may not import analytics).
    path(
        "users/me/recently-played/",
        views.RecentlyPlayedView.as_view(),
        name="users-me-recently-played",
    ),
    path(
        "analytics/artists/<int:pk>/",
        views.ArtistEngagementView.as_view(),
        name="analytics-artist",
    ),
]
