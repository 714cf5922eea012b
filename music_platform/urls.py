"""Root URLs. Each app's ``urls.py`` (when present) is mounted under /api/v1/."""

from importlib.util import find_spec

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from music_platform import health

API_APPS = ["users", "catalog", "charts", "analytics", "recommendations"]

api_v1 = [path("", include(f"{app}.urls")) for app in API_APPS if find_spec(f"{app}.urls")]

urlpatterns = [
    path("health/", health.live, name="health-live"),
    path("health/ready/", health.ready, name="health-ready"),
    path("", include("django_prometheus.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
# App-specific admin pages (dashboards) sit before the catch-all admin site.
urlpatterns += [
    path("admin/", include(f"{app}.admin_urls"))
    for app in API_APPS
    if find_spec(f"{app}.admin_urls")
]
urlpatterns += [path("admin/", admin.site.urls)]

if settings.DEBUG:  # production serves these from Nginx
    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "music_platform.api.bad_request"
handler403 = "music_platform.api.permission_denied"
handler404 = "music_platform.api.not_found"
handler500 = "music_platform.api.server_error"
