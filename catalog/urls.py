"""Catalog routes under /api/v1/. Detail routes match integer ids only (``\\d+``), so
``songs/trending/`` and ``songs/{id}/similar/`` stay free for the recommendations app."""

from rest_framework.routers import SimpleRouter

from catalog import views
from catalog.audio import urls as audio_urls
from catalog.library import urls as library_urls

router = SimpleRouter()
router.register("genres", views.GenreViewSet, basename="genre")
router.register("artists", views.ArtistViewSet, basename="artist")
router.register("albums", views.AlbumViewSet, basename="album")
router.register("songs", views.SongViewSet, basename="song")
router.register("playlists", views.PlaylistViewSet, basename="playlist")

# Audio (issue 16): upload, stream links, waveform and the signed stream URLs; the
# listener's library (issue 12) under users/me/library/.
urlpatterns = router.urls + audio_urls.urlpatterns + library_urls.urlpatterns
