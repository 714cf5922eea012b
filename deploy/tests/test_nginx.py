"""The Nginx configurations pass `nginx -t`: the compose one (nginx/nginx.conf) and the
cluster's template (deploy/k8s/base/nginx.conf.template, after the envsubst its image runs).
Upstream host names resolve only inside Docker or Kubernetes, so they become 127.0.0.1 here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.tests.manifests import K8S, ROOT

MIME_TYPES = Path("/etc/nginx/mime.types")


@pytest.fixture
def nginx() -> str:
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if path is None or not MIME_TYPES.exists():
        pytest.skip("nginx is not installed: its configurations were not checked")
    return path


def check(nginx: str, config: str, tmp_path: Path) -> subprocess.CompletedProcess:
    conf = tmp_path / "nginx.conf"
    conf.write_text(config)
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf),
         "-g", f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def test_the_compose_configuration_is_valid(nginx, tmp_path):
    config = (
        (ROOT / "nginx/nginx.conf")
        .read_text()
        .replace("server web:8000;", "server 127.0.0.1:8000;")
    )
    done = check(nginx, config, tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_cluster_template_is_valid_once_substituted(nginx, tmp_path):
    template = (K8S / "base/nginx.conf.template").read_text()
    server = (
        template.replace("${MEDIA_ORIGIN}", "http://127.0.0.1:9000/media/")
        .replace("${TRUSTED_PROXY_CIDR}", "10.0.0.0/8")
        .replace("server web:8000;", "server 127.0.0.1:8000;")
    )
    assert "${" not in server  # only the two variables the Deployment substitutes
    # the unprivileged image's own nginx.conf includes conf.d/*.conf inside http {}
    config = f"events {{}}\nhttp {{\n    include {MIME_TYPES};\n{server}\n}}\n"
    done = check(nginx, config, tmp_path)
    assert done.returncode == 0, done.stderr


def test_a_broken_configuration_is_refused(nginx, tmp_path):
    done = check(nginx, "events {}\nhttp { server { listen 8080; locatoin / {} } }\n", tmp_path)
    assert done.returncode != 0
