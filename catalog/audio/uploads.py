"""Audio uploads stream to a temporary file and stop at the size limit (no body in memory)."""

from __future__ import annotations

from django.core.files.uploadhandler import TemporaryFileUploadHandler

from common.errors import PayloadTooLarge

# Room for the multipart framing around a file at the size limit.
MULTIPART_ENVELOPE = 64 * 1024


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"An audio file may be at most {limit} bytes.")


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler (every size goes to disk, so the file can be decoded
    from a path) that gives up as soon as ``limit`` bytes have arrived."""

    def __init__(self, request=None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit + MULTIPART_ENVELOPE:
            raise too_large(self.limit)
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()  # a NamedTemporaryFile: closing removes it
            raise too_large(self.limit)
        return super().receive_data_chunk(raw_data, start)


def limit_upload_size(request, limit: int) -> None:
    """Refuse a declared oversize body at once; cap the rest while it streams in. Call
    before anything reads ``request.data``."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + MULTIPART_ENVELOPE:
        raise too_large(limit)
    django_request = getattr(request, "_request", request)
    django_request.upload_handlers = [
        LimitedTemporaryFileUploadHandler(django_request, limit=limit)
    ]
