from common.ratelimit import RateLimitThrottle


class PicksRefreshThrottle(RateLimitThrottle):
    group = "recommendations.refresh"
    rate = "5/m"
    key = "user"
