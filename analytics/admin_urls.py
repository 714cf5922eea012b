"""Mounted under /admin/ before the admin site (see music_platform/urls.py)."""

from django.urls import path

from analytics import admin_views

urlpatterns = [
    path("analytics/", admin_views.dashboard, name="analytics-dashboard"),
    path("analytics/data/", admin_views.dashboard_data, name="analytics-dashboard-data"),
]
