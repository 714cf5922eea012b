"""The Kubernetes manifests as rendered by `kubectl kustomize` for each overlay: valid against
the Kubernetes schemas (kubernetes-validate, offline) and hardened, consistent and complete."""

from __future__ import annotations

import copy
import re
from typing import Any

import kubernetes_validate
import pytest

from deploy.tests.manifests import (
    KUBERNETES_VERSION,
    by_kind,
    documented_secret_keys,
    pod_specs,
    procfile,
    render,
    routed_queues,
    worker_queues,
)

# Custom resources have no schema in Kubernetes' own: their operators' kinds, checked below.
CUSTOM_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
}
# Secrets created by operators, with the keys they document.
OPERATOR_SECRETS = {"mp-db-app": {"uri", "username", "password", "host", "port", "dbname"}}
VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


@pytest.fixture(params=["dev", "production"])
def docs(request) -> list[dict[str, Any]]:
    return render(request.param)


def containers(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("init", c) for c in spec.get("initContainers", [])] + [
        ("main", c) for c in spec["containers"]
    ]


def test_every_manifest_validates_against_the_kubernetes_schema(docs):
    kinds = set()
    for doc in docs:
        kinds.add(doc["kind"])
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "Job",
            "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Namespace"} <= kinds  # fmt: skip


def test_the_validation_rejects_a_broken_manifest():
    web = copy.deepcopy(by_kind(render("production"), "Deployment")["web"])
    web["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = {"x": 1}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)
    web = copy.deepcopy(by_kind(render("production"), "Deployment")["web"])
    web["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}  # a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)


def test_every_container_is_hardened_and_has_requests_and_limits(docs):
    for workload, spec in pod_specs(docs):
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, workload["metadata"]["name"]
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault"
        assert spec.get("automountServiceAccountToken") is False
        for _, container in containers(spec):
            where = f"{workload['metadata']['name']}/{container['name']}"
            security = container.get("securityContext", {})
            assert security.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, where
            assert (security.get("runAsUser") or pod.get("runAsUser") or 0) > 0, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("capabilities", {}).get("drop") == ["ALL"], where
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) >= {"cpu", "memory"}, where


def test_every_long_running_container_has_probes_on_the_health_endpoints(docs):
    deployments = by_kind(docs, "Deployment")
    for name, deployment in deployments.items():
        spec = deployment["spec"]["template"]["spec"]
        for container in spec["containers"]:
            ports = {p.get("name") for p in container.get("ports", [])} | {
                p["containerPort"] for p in container.get("ports", [])
            }
            for probe in ("livenessProbe", "readinessProbe"):
                assert probe in container, f"{name}/{container['name']} has no {probe}"
                action = container[probe]
                target = (action.get("httpGet") or action.get("tcpSocket") or {}).get("port")
                assert target is None or target in ports, f"{name}: probe port {target}"
    # the HTTP processes: liveness on /health/, readiness on /health/ready/
    for name in ("web", "realtime"):
        app = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert app["livenessProbe"]["httpGet"]["path"] == "/health/"
        assert app["readinessProbe"]["httpGet"]["path"] == "/health/ready/"


def test_images_are_pinned(docs):
    for workload, spec in pod_specs(docs):
        for _, container in containers(spec):
            image = container["image"]
            name, _, tag = image.rpartition(":") if "@" not in image else (image, "", "digest")
            assert name and tag and tag != "latest", f"{workload['metadata']['name']}: {image}"
            assert "/" not in tag
    cluster = by_kind(docs, "Cluster")
    for doc in cluster.values():
        assert not doc["spec"]["imageName"].endswith(":latest")


def test_services_select_pods_that_exist_on_ports_they_expose(docs):
    templates = [d["spec"]["template"] for d in by_kind(docs, "Deployment").values()]
    services = by_kind(docs, "Service")
    assert services
    for name, service in services.items():
        selector = service["spec"]["selector"]
        pods = [t for t in templates if selector.items() <= t["metadata"]["labels"].items()]
        assert pods, f"Service {name} selects no pod"
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            exposed = {
                (p.get("name"), p["containerPort"])
                for t in pods
                for c in t["spec"]["containers"]
                for p in c.get("ports", [])
            }
            assert any(target in pair for pair in exposed), f"Service {name}: {target}"


def test_the_ingress_routes_sockets_to_realtime_and_the_rest_to_nginx(docs):
    services = by_kind(docs, "Service")
    (ingress,) = by_kind(docs, "Ingress").values()
    routes = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] in services
            assert backend["port"]["number"] in {
                p["port"] for p in services[backend["name"]]["spec"]["ports"]
            }
            routes[path["path"]] = backend["name"]
    assert routes == {"/ws/": "realtime", "/": "nginx"}


def test_autoscalers_budgets_and_policies_point_at_existing_workloads(docs):
    deployments = by_kind(docs, "Deployment")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    assert {"web", "realtime"} <= set(hpas)
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert any(m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])
    labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]
    budgets = by_kind(docs, "PodDisruptionBudget")
    assert {"web", "realtime", "nginx"} <= set(budgets)
    for name, budget in budgets.items():
        selector = budget["spec"]["selector"]["matchLabels"]
        assert any(selector.items() <= pod.items() for pod in labels), name
    policies = by_kind(docs, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress"],
    }
    for policy in policies.values():
        selector = policy["spec"]["podSelector"].get("matchLabels")
        if selector and "cnpg.io/cluster" not in selector:
            assert any(selector.items() <= pod.items() for pod in labels), policy["metadata"]


def test_every_configmap_and_secret_reference_exists(docs):
    configmaps = {
        name: set(doc.get("data", {})) for name, doc in by_kind(docs, "ConfigMap").items()
    }
    secrets = {"app-secrets": documented_secret_keys(), **OPERATOR_SECRETS}
    for workload, spec in pod_specs(docs):
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for volume in volumes.values():
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps
        for _, container in containers(spec):
            where = f"{workload['metadata']['name']}/{container['name']}"
            defined: set[str] = set()
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps, where
                defined |= configmaps[source["configMapRef"]["name"]]
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    key = ref["configMapKeyRef"]
                    assert key["key"] in configmaps[key["name"]], f"{where}: {key}"
                if "secretKeyRef" in ref:
                    key = ref["secretKeyRef"]
                    assert key["key"] in secrets.get(key["name"], set()), f"{where}: {key}"
                # $(VAR) expands only variables defined before it
                for used in VARIABLE.findall(variable.get("value", "")):
                    assert used in defined, f"{where}: {variable['name']} uses $({used})"
                defined.add(variable["name"])
            for used in VARIABLE.findall(" ".join(container.get("command", []))):
                assert used in defined, f"{where}: command uses $({used})"
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes, f"{where}: {mount['name']}"
    for auth in by_kind(docs, "TriggerAuthentication").values():
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["key"] in secrets[ref["name"]]
    for monitor in by_kind(docs, "PodMonitor").values():
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            if "bearerTokenSecret" in endpoint:
                ref = endpoint["bearerTokenSecret"]
                assert ref["key"] in secrets[ref["name"]]


def test_every_process_runs_with_one_worker_deployment_per_queue(docs):
    deployments = by_kind(docs, "Deployment")
    commands = {name: d["spec"]["template"]["spec"]["containers"][0].get("command", [])
                for name, d in deployments.items()}  # fmt: skip
    processes = procfile()
    for process in processes:
        assert any(name == process or name.startswith(f"{process}-") for name in deployments)
    queues = {name: worker_queues(command) for name, command in commands.items()}
    workers = {name: q for name, q in queues.items() if q}
    assert all(len(q) == 1 for q in workers.values()), workers
    assert set().union(*workers.values()) == routed_queues()
    assert set().union(*workers.values()) == worker_queues(processes["worker"])
    assert workers == {f"worker-{q}": {q} for q in routed_queues()}
    beat = deployments["beat"]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"] == {"type": "Recreate"}
    (job,) = by_kind(docs, "Job").values()
    assert "migrate" in " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    web = deployments["web"]["spec"]["template"]["spec"]
    assert "migrate --check" in " ".join(web["initContainers"][0]["command"])


def test_production_runs_postgresql_with_a_replica_and_scales_workers_on_queue_depth():
    docs = render("production")
    (cluster,) = by_kind(docs, "Cluster").values()
    assert cluster["spec"]["instances"] >= 2
    web = by_kind(docs, "Deployment")["web"]["spec"]["template"]["spec"]["containers"][0]
    env = {v["name"]: v for v in web["env"]}
    assert (
        env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"]
        == f"{cluster['metadata']['name']}-app"
    )
    assert f"@{cluster['metadata']['name']}-ro:" in env["DATABASE_REPLICA_URL"]["value"]
    deployments = by_kind(docs, "Deployment")
    scaled = by_kind(docs, "ScaledObject")
    assert set(scaled) == {f"worker-{q}" for q in routed_queues()}
    for name, scaler in scaled.items():
        target = deployments[scaler["spec"]["scaleTargetRef"]["name"]]
        command = target["spec"]["template"]["spec"]["containers"][0]["command"]
        (trigger,) = scaler["spec"]["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert {trigger["metadata"]["queueName"]} == worker_queues(command), name
        assert trigger["authenticationRef"]["name"] in by_kind(docs, "TriggerAuthentication")
    ingress = next(iter(by_kind(docs, "Ingress").values()))
    assert ingress["spec"]["tls"]


def test_prometheus_scrapes_every_process_that_exports_metrics():
    docs = render("production")
    (monitor,) = by_kind(docs, "PodMonitor").values()
    (expression,) = monitor["spec"]["selector"]["matchExpressions"]
    ports = {endpoint["port"] for endpoint in monitor["spec"]["podMetricsEndpoints"]}
    scraped = set()
    for name, deployment in by_kind(docs, "Deployment").items():
        template = deployment["spec"]["template"]
        annotations = template["metadata"].get("annotations", {})
        if annotations.get("prometheus.io/scrape") != "true":
            continue
        container = template["spec"]["containers"][0]
        named = {p["name"]: p["containerPort"] for p in container["ports"]}
        # the annotation's port is a port of the pod, and the PodMonitor scrapes it by name
        assert int(annotations["prometheus.io/port"]) in named.values(), name
        assert template["metadata"]["labels"][expression["key"]] in expression["values"]
        assert ports & set(named), name
        scraped.add(name)
    assert scraped == {"web", "realtime"} | {f"worker-{q}" for q in routed_queues()}


def test_dev_has_no_operator_resources():
    kinds = {(d["apiVersion"], d["kind"]) for d in render("dev")}
    assert not kinds & CUSTOM_KINDS
