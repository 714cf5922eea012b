"""The staff dashboard at /admin/analytics/ and the JSON it draws from."""

from datetime import timedelta

from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder

from analytics import selectors
from analytics.serializers import DateRangeQuerySerializer
from common.api import validated_query
from users.admin_mixins import editor_page_required

# Logged-in staff (else the admin login page) with the editor or admin role (else 403).
analytics_staff_required = editor_page_required


@analytics_staff_required
def dashboard(request):
    today = timezone.now().date()
    context = {
        **admin.site.each_context(request),
        "title": "Listening analytics",
        "default_from": today - timedelta(days=29),
        "default_to": today,
    }
    return render(request, "analytics/dashboard.html", context)


@analytics_staff_required
def dashboard_data(request):
    try:
        params = validated_query(DateRangeQuerySerializer, Request(request))
    except ValidationError as exc:
        # The API's error format (this Django view is outside DRF's exception handling).
        errors = [
            {"code": error.code, "detail": str(error), "attr": field}
            for field, messages in exc.detail.items()
            for error in messages
        ]
        return JsonResponse({"type": "validation_error", "errors": errors}, status=400)
    data = selectors.dashboard_data(**params)
    return JsonResponse(data, encoder=JSONEncoder)
