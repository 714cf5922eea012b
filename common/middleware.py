"""Request guards that answer in the standard error format before any view runs."""

from django.conf import settings

from common.errors import error_response


class QueryStringLimitMiddleware:
    """Refuse query strings above ``API_MAX_QUERY_STRING`` bytes with a JSON 414.

    gunicorn accepts request lines up to 8190 bytes (``limit_request_line``); below that
    the answer is ours, in the API's format, instead of the server's HTML page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.META.get("QUERY_STRING", "")) > settings.API_MAX_QUERY_STRING:
            return error_response(
                414,
                "uri_too_long",
                f"The query string is longer than {settings.API_MAX_QUERY_STRING} bytes.",
            )
        return self.get_response(request)
