"""Bench-only URLconf for ``bench/api_reads.py``: the whole API as ``music_platform.urls``
serves it, plus one trivial DRF view at ``/bench/trivial/`` (an ``APIView`` returning
``{"ok": true}`` with the project's default authentication, permissions and renderers), the
baseline every endpoint is compared with. Never used by the app."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class TrivialView(APIView):
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/trivial/", TrivialView.as_view()),
    path("", include("music_platform.urls")),
]

handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.not_found"
handler500 = "common.errors.server_error"
