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
    path(
        "analytics/artists/<int:pk>/",
        views.ArtistEngagementView.as_view(),
        name="analytics-artist",
    ),
]
