"""Catalog routes under /api/v1/. Detail routes match integer ids only (``\\d+``), so
``songs/trending/`` and ``songs/{id}/similar/`` stay free for the recommendations app."""

from rest_framework.routers import SimpleRouter

from catalog import views

router = SimpleRouter()
router.register("genres", views.GenreViewSet, basename="genre")
router.register("artists", views.ArtistViewSet, basename="artist")
router.register("albums", views.AlbumViewSet, basename="album")
router.register("songs", views.SongViewSet, basename="song")
router.register("playlists", views.PlaylistViewSet, basename="playlist")

urlpatterns = router.urls
