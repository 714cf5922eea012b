"""JSON rendered by orjson: the same bytes DRF's ``JSONRenderer`` would send, faster.

DRF's encoder decides how dates, times, decimals, UUIDs, lazy strings and querysets look;
orjson is told to pass those (and datetimes, which it would write with microseconds where DRF
writes milliseconds and ``Z``) back to that encoder, so the output does not change. Only
the compact form is produced: the browsable API's ``indent`` is honoured by falling back to
DRF's renderer.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_default = JSONEncoder().default


class ORJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            return orjson.dumps(data, default=_default, option=_OPTIONS)
        except TypeError:
            # Types orjson refuses outright (e.g. an int beyond 64 bits): DRF's own path.
            return super().render(data, accepted_media_type, renderer_context)
