from django.apps import AppConfig


class MusicPlatformConfig(AppConfig):
    name = "music_platform"
    verbose_name = "Platform"
