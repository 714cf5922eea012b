"""The charts themselves: creating one, and seeding those listed in CHART_FEEDS."""

from __future__ import annotations

from django.conf import settings

from charts.models import Chart, ChartKind


def chart_create(
    *,
    slug: str,
    name: str,
    source: str,
    country: str = "",
    kind: str = ChartKind.SONGS,
    feed_url: str = "",
    size: int = 200,
    active: bool = True,
) -> Chart:
    chart = Chart(
        slug=slug,
        name=name,
        source=source,
        country=country.lower(),
        kind=kind,
        feed_url=feed_url,
        size=size,
        active=active,
    )
    chart.full_clean()
    chart.save()
    return chart


def chart_seed_from_settings(*, spec: str | None = None) -> list[Chart]:
    """Create the charts listed in CHART_FEEDS ("slug|name|source|country|kind|feed_url;...").

    Existing charts are left as they are: staff may have edited them in the admin.
    """
    spec = settings.CHART_FEEDS if spec is None else spec
    created = []
    for item in filter(None, (part.strip() for part in spec.split(";"))):
        fields = [f.strip() for f in item.split("|")]
        if len(fields) != 6:
            raise ValueError(
                f"CHART_FEEDS item {item!r}: expected slug|name|source|country|kind|url"
            )
        slug, name, source, country, kind, feed_url = fields
        if not Chart.objects.filter(slug=slug).exists():
            created.append(
                chart_create(
                    slug=slug,
                    name=name,
                    source=source,
                    country=country,
                    kind=kind or ChartKind.SONGS,
                    feed_url=feed_url,
                )
            )
    return created
