from django.urls import path

from charts import views

# The fixed sub-paths come before "<day>/" so "movers" is never read as a date.
urlpatterns = [
    path("charts/", views.ChartListView.as_view(), name="chart-list"),
    path("charts/<slug:slug>/", views.ChartLatestView.as_view(), name="chart-latest"),
    path("charts/<slug:slug>/movers/", views.ChartMoversView.as_view(), name="chart-movers"),
    path("charts/<slug:slug>/history/", views.ChartHistoryView.as_view(), name="chart-history"),
    path("charts/<slug:slug>/artists/", views.ChartArtistsView.as_view(), name="chart-artists"),
    path("charts/<slug:slug>/ingest/", views.ChartIngestView.as_view(), name="chart-ingest"),
    path("charts/<slug:slug>/<str:day>/", views.ChartSnapshotView.as_view(), name="chart-day"),
    path(
        "charts/<slug:slug>/<str:day>/dropped/",
        views.ChartDroppedView.as_view(),
        name="chart-dropped",
    ),
]
