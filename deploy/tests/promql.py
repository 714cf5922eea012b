"""Metric names: those a PromQL expression queries, and those a /metrics page exports."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

# PromQL's functions, aggregations and keywords (what may precede "(" or sit between terms).
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan",
}  # fmt: skip
IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
# Metrics of the exporters beside the platform (postgres-exporter, redis_exporter,
# rabbitmq_prometheus, MinIO) and Prometheus's own `up`: not exported by our code.
EXPORTER_PREFIXES = ("pg_", "redis_", "rabbitmq_", "minio_")
PROMETHEUS_BUILTIN = {"up"}


def queried_metrics(expression: str) -> set[str]:
    """The metric names a PromQL expression selects."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', expression)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range durations
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in IDENTIFIER.finditer(text):
        name = match.group(0)
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or name.lower() in KEYWORDS:
            continue  # a function or an aggregation
        if re.fullmatch(r"[0-9.]+(e[0-9]+)?", name):
            continue
        names.add(name)
    return names


def exported_metrics(exposition: str) -> set[str]:
    """Every sample name a /metrics page can carry, from its families (HELP/TYPE lines count:
    a labelled metric that has no sample yet is still exported)."""
    names = set()
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
        "gauge": ("",),
    }
    for family in text_string_to_metric_families(exposition):
        for suffix in suffixes.get(family.type, ("",)):
            names.add(family.name + suffix)
        names |= {sample.name for sample in family.samples}
    return names
