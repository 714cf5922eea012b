from common.ratelimit import RateLimitThrottle


class RegisterThrottle(RateLimitThrottle):
    group = "auth.register"
    rate = "10/m"
    key = "ip"


class LoginThrottle(RateLimitThrottle):
    group = "auth.login"
    rate = "20/m"
    key = "ip"
