from common.ratelimit import RateLimitThrottle


class PicksRefreshThrottle(RateLimitThrottle):
    group = "recommendations.refresh"
    rate = "5/m"
    key = "user"


class RecommendationsFetchThrottle(RateLimitThrottle):
    """Seed and personalised fetches: 30 a minute per user (per address when anonymous),
    like the seed services this platform replaces; each is a few model lookups."""

    group = "recommendations.fetch"
    rate = "30/m"
    key = "user"
    methods = ("GET", "HEAD")
