from common.ratelimit import RateLimitThrottle


class PlaylistExportThrottle(RateLimitThrottle):
    """Each export sends an e-mail to an address of the caller's choosing: keep it rare."""

    group = "catalog.playlist_export"
    rate = "10/h"
    key = "user"
