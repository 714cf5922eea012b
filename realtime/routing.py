"""The realtime process's ASGI application: WebSockets at /ws/v1/ and its own probes."""

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.sessions import SessionMiddlewareStack
from django.urls import path, re_path

from realtime.consumers import NoRouteConsumer, RealtimeConsumer
from realtime.http import http_app

websocket_urlpatterns = [
    path("ws/v1/", RealtimeConsumer.as_asgi()),
    re_path(r"", NoRouteConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {"http": http_app, "websocket": SessionMiddlewareStack(URLRouter(websocket_urlpatterns))}
)
