from django.apps import AppConfig


class ChartsConfig(AppConfig):
    name = "charts"
    verbose_name = "Charts"

    def ready(self):
        from charts import caching

        caching.connect_receivers()
