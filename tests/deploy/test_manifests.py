"""deploy/ is checked like code (#18): the Dockerfile, the compose file and the Kubernetes
manifests are parsed and held to their essentials — probes, non-root, no inline secrets,
resources, image tags that are not `latest`, the pieces referring to each other."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from app.core.config import ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|KEY|DATABASE_URL|PEM)", re.IGNORECASE)
NOT_SECRET = {
    "ROSTRA_DB_POOL_SIZE",
    "ROSTRA_S3_BUCKET",
    "ROSTRA_PASSWORD_HASH_THREADS",
    "POSTGRES_USER",
    "POSTGRES_DB",
}


def _manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def _kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in _manifests() if d.get("kind") == kind]


def _by_component(kind: str, component: str) -> dict[str, Any]:
    found = [
        d
        for d in _kind(kind)
        if d["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
    assert len(found) == 1, f"one {kind} for {component}"
    return found[0]


def _pod_specs() -> list[dict[str, Any]]:
    return [d["spec"]["template"]["spec"] for d in _kind("Deployment") + _kind("Job")]


def _tag(image: str) -> str:
    name, _, tag = image.rpartition(":")
    return tag if name and "/" not in tag else ""


# The Dockerfile


def test_the_dockerfile_builds_in_stages_from_the_lock_file_and_runs_as_a_plain_user():
    text = (DEPLOY / "Dockerfile").read_text()
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert len(froms) >= 2, "multi-stage"
    assert all(_tag(image) not in ("", "latest") for image in froms), froms
    assert "uv sync --frozen --no-dev" in text
    assert "COPY pyproject.toml uv.lock" in text
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    for line in re.findall(r"^ENV .*$|^ARG .*$", text, re.MULTILINE):
        assert not re.search(r"(SECRET|PASSWORD|TOKEN|_KEY)\w*=", line), line


def test_the_build_context_leaves_local_and_secret_files_out():
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)


# compose


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_runs_two_apis_a_worker_and_their_services():
    services = _compose()["services"]
    assert {"api-1", "api-2", "worker", "postgres", "redis", "minio", "migrate"} <= set(services)
    for name in ("api-1", "api-2"):
        assert services[name]["command"][:2] == ["rostra", "serve"]
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["worker"]["command"] == ["rostra", "worker"]
    assert "rostra db upgrade" in " ".join(services["migrate"]["command"])


def test_compose_images_are_pinned_and_secrets_come_from_the_environment():
    for name, service in _compose()["services"].items():
        assert _tag(service["image"]) not in ("", "latest"), name
        env = service.get("environment") or {}
        for key, value in env.items():
            if SECRET_NAME.search(key) and key not in NOT_SECRET:
                assert "${" in str(value), f"{name}: {key} is written inline"


# Kubernetes


def test_the_api_and_the_worker_are_deployments_and_the_migrations_a_job():
    api = _by_component("Deployment", "api")
    worker = _by_component("Deployment", "worker")
    job = _by_component("Job", "migrate")
    assert api["spec"]["template"]["spec"]["containers"][0]["command"][:2] == ["rostra", "serve"]
    assert worker["spec"]["template"]["spec"]["containers"][0]["command"] == ["rostra", "worker"]
    assert "rostra db upgrade" in " ".join(
        job["spec"]["template"]["spec"]["containers"][0]["command"]
    )
    assert api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_api_is_probed_live_at_healthz_and_ready_at_readyz():
    container = _by_component("Deployment", "api")["spec"]["template"]["spec"]["containers"][0]
    port = container["ports"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["readinessProbe"]["httpGet"]["port"] in (port["name"], port["containerPort"])


@pytest.mark.parametrize("spec", _pod_specs(), ids=lambda s: s["containers"][0]["name"])
def test_every_pod_runs_as_a_plain_user_with_resources_and_a_pinned_image(spec):
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    for container in spec["containers"]:
        assert _tag(container["image"]) not in ("", "latest"), container["image"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("spec", _pod_specs(), ids=lambda s: s["containers"][0]["name"])
def test_secrets_are_referenced_never_written(spec):
    for container in spec["containers"]:
        for variable in container.get("env", []):
            if SECRET_NAME.search(variable["name"]) and variable["name"] not in NOT_SECRET:
                assert "value" not in variable, variable["name"]
                assert variable["valueFrom"]["secretKeyRef"]["name"] == "rostra-secrets"
    assert _kind("Secret") == [], "no Secret manifests (with data) in the repository"
    for config in _kind("ConfigMap"):
        assert not [k for k in config["data"] if SECRET_NAME.search(k) and k not in NOT_SECRET]


def test_service_budget_and_autoscaler_point_at_the_api_pods():
    api = _by_component("Deployment", "api")
    labels = api["spec"]["template"]["metadata"]["labels"]
    service = _by_component("Service", "api")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] in ("http", 8000)
    pdb = _by_component("PodDisruptionBudget", "api")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] >= 1
    hpa = _by_component("HorizontalPodAutoscaler", "api")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": api["metadata"]["name"],
    }
    assert hpa["spec"]["minReplicas"] >= 2


def test_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files


def test_readme_says_how_to_run_upgrade_and_back_up():
    text = (DEPLOY / "README.md").read_text()
    for heading in (
        "## On one machine: compose",
        "## On Kubernetes",
        "zero downtime",
        "## Backups",
    ):
        assert heading in text
    assert not re.search(r"/(work|home|Users)/", text), "no machine paths"
