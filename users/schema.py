"""OpenAPI description of our JWT authentication class (drf-spectacular)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class BlockAwareJWTScheme(SimpleJWTScheme):
    target_class = "users.authentication.BlockAwareJWTAuthentication"
