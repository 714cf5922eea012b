"""Mounted under /admin/ before the admin site (see music_platform/urls.py)."""

from django.urls import path

from charts import admin_views

urlpatterns = [
    path("charts/dashboard/", admin_views.dashboard, name="charts-dashboard"),
    path("charts/dashboard/data/", admin_views.dashboard_data, name="charts-dashboard-data"),
    path("charts/dashboard/history/", admin_views.track_history, name="charts-dashboard-history"),
]
