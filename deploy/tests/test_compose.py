"""docker-compose.yml (`docker compose config` needs Docker, absent here): it parses, every file
it references exists, every process of the Procfile runs in it, one worker per queue, and no
secret has a default that would work in production."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from deploy.tests.manifests import ROOT, procfile, routed_queues, worker_queues

COMPOSE = ROOT / "docker-compose.yml"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|(^|_)KEY$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_it_parses_with_the_expected_services(compose):
    services = compose["services"]
    assert {"db", "redis", "rabbitmq", "minio", "minio-setup", "migrate", "web", "realtime",
            "beat", "nginx", "prometheus", "grafana", "postgres-exporter",
            "redis-exporter"} <= set(services)  # fmt: skip
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_every_file_it_references_exists(compose):
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is not None:
            context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = (
                "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            )
            assert (context / dockerfile).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"
    for secret in compose.get("secrets", {}).values():
        assert "file" not in secret or (ROOT / secret["file"]).exists()


def test_every_procfile_process_runs_and_each_queue_has_its_own_worker(compose):
    services = compose["services"]
    for process in procfile():
        assert any(name == process or name.startswith(f"{process}-") for name in services), process
    workers = {
        name: worker_queues(service.get("command", []))
        for name, service in services.items()
        if worker_queues(service.get("command", []))
    }
    assert workers == {f"worker-{queue}": {queue} for queue in routed_queues()}
    assert set().union(*workers.values()) == worker_queues(procfile()["worker"])
    app = services["web"]["environment"]
    assert app["CELERY_BROKER_URL"].startswith("amqp://")  # RabbitMQ as the broker
    assert app["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"  # MinIO as media storage
    for name in workers:
        assert services[name]["environment"]["CELERY_METRICS_PORT"] == "9540"


def test_no_secret_has_a_default():
    text = COMPOSE.read_text()
    secrets = {}
    for name, operator, _default in INTERPOLATION.findall(text):
        if SECRET_NAME.search(name):
            secrets.setdefault(name, set()).add(operator)
            assert operator in (":?", "?"), f"${{{name}}} has a default or may be empty"
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "MINIO_ROOT_PASSWORD",
            "METRICS_TOKEN", "GRAFANA_ADMIN_PASSWORD"} <= set(secrets)  # fmt: skip
    # no credentials written out in connection URLs either
    for url in re.findall(r"[a-z+]+://[^\s\"']+", text):
        if "@" in url:
            userinfo = url.split("://", 1)[1].split("@", 1)[0]
            assert ":" not in userinfo or "${" in userinfo, url


def test_the_checks_catch_a_default_secret():
    unsafe = "SECRET_KEY: ${SECRET_KEY:-insecure}\nDB: postgres://u:${PGPASS:-x}@db/x\n"
    found = [(n, op) for n, op, _ in INTERPOLATION.findall(unsafe) if SECRET_NAME.search(n)]
    assert found == [("SECRET_KEY", ":-")]  # flagged: not ":?"


def test_prometheus_scrapes_the_compose_services_and_grafana_loads_the_dashboards(compose):
    services = compose["services"]
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert {"web", "realtime", "celery", "postgres", "redis", "rabbitmq"} <= set(jobs)
    for job in jobs.values():
        for group in job.get("static_configs", []):
            for target in group["targets"]:
                host = target.rsplit(":", 1)[0]
                assert host == "localhost" or host in services, f"{job['job_name']}: {target}"
    celery_targets = {
        t.split(":")[0] for g in jobs["celery"]["static_configs"] for t in g["targets"]
    }
    assert celery_targets == {f"worker-{queue}" for queue in routed_queues()}
    assert jobs["web"]["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    grafana_mounts = dict(
        v.split(":")[:2][::-1] for v in services["grafana"]["volumes"] if v.startswith("./")
    )
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/music_platform.yml").read_text()
    )
    dashboards_path = provider["providers"][0]["options"]["path"]
    assert grafana_mounts[dashboards_path] == "./deploy/grafana/dashboards"
    rules = services["prometheus"]["volumes"]
    assert any(v.endswith(":/etc/prometheus/alerts.yml:ro") for v in rules)
    assert prometheus["rule_files"] == ["/etc/prometheus/alerts.yml"]
