"""Shared by the deploy tests: the repository's deploy files, the rendered Kustomize overlays,
the Procfile's processes and the queues of the routing table."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from conftest import skip_or_fail

ROOT = Path(settings.BASE_DIR)
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production")
# The Kubernetes release whose schemas the manifests are validated against (kubectl 1.32 here;
# the namespaces' Pod Security labels name the same version).
KUBERNETES_VERSION = "1.32.0"


def kubectl() -> str:
    """kubectl's path; skipped without it, a failure under REQUIRE_KUBECTL=1 (CI)."""
    path = shutil.which("kubectl")
    if path is None:
        skip_or_fail("kubectl is not installed: the overlays were not rendered",
                     required_by="REQUIRE_KUBECTL")  # fmt: skip
    return path


@cache
def _render(overlay: str, kubectl_path: str) -> tuple[dict[str, Any], ...]:
    done = subprocess.run(
        [kubectl_path, "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def render(overlay: str) -> list[dict[str, Any]]:
    return list(_render(overlay, kubectl()))


def routed_queues() -> set[str]:
    """The queues of settings' routing table and the default queue, without test suffixes."""
    suffix = settings.CELERY_QUEUE_SUFFIX
    queues = {settings.CELERY_TASK_DEFAULT_QUEUE.removesuffix(suffix)}
    queues |= {
        route["queue"].removesuffix(suffix) for route in settings.CELERY_TASK_ROUTES.values()
    }
    return queues


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if ":" in line and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = shlex.split(command)
    return processes


def worker_queues(command: list[str]) -> set[str]:
    """The queues a `celery worker` command line consumes (-Q a,b)."""
    if "worker" not in command or "-Q" not in command:
        return set()
    return set(command[command.index("-Q") + 1].split(","))


def documented_secret_keys() -> set[str]:
    """Keys of the Secret app-secrets, from the `kubectl create secret` command in
    deploy/k8s/README.md: what the manifests reference must be what operators are told to
    create."""
    text = (K8S / "README.md").read_text()
    match = re.search(r"kubectl[^\n]*create secret generic app-secrets(.*?)\n```", text, re.S)
    assert match, "deploy/k8s/README.md must show how to create the Secret app-secrets"
    return set(re.findall(r"--from-literal=([A-Z0-9_]+)=", match.group(1)))


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod spec) of every Deployment and Job."""
    found = []
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            found.append((doc, doc["spec"]["template"]["spec"]))
    return found


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}
