"""OPTIONS answers (DRF metadata) that never fail on a view without a serializer."""

from rest_framework.metadata import SimpleMetadata


def _has_serializer(view) -> bool:
    # Imported here: DRF loads this class while rest_framework.views is still importing.
    from rest_framework.generics import GenericAPIView

    overridden = type(view).get_serializer_class is not GenericAPIView.get_serializer_class
    return overridden or getattr(view, "serializer_class", None) is not None


class SafeMetadata(SimpleMetadata):
    """DRF's metadata describes the write actions from ``view.get_serializer()``; a generic
    view that validates with its own input serializers (``serializer_class`` unset) made
    ``OPTIONS`` a 500. Such views answer without the ``actions`` block."""

    def determine_actions(self, request, view):
        if not _has_serializer(view):
            return {}
        return super().determine_actions(request, view)
