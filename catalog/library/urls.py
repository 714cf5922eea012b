"""Library routes under /api/v1/ (mounted by ``catalog.urls``): the path sits under
``users/me/`` while the code lives in catalog, which may read users but not the reverse."""

from django.urls import path

from catalog.library import views

urlpatterns = [
    path(
        "users/me/library/albums/",
        views.LibraryAlbumsView.as_view(),
        name="users-me-library-albums",
    ),
]
