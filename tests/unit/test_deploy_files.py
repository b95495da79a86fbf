"""The production deployment files in ``infra/deploy/``, checked offline: every Kubernetes
document against the Kubernetes schemas (strict: an unknown field fails), the Compose file
against the Compose spec's schema, every setting they give against SitePulse's settings
(a misspelt one would stop the services), and every service with its replicas, health
probes at /healthz, resources and a Prometheus scrape."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from infra.launch.services import SERVICE_NAMES, _port
from infra.settings import Settings, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "infra" / "deploy"
KUBERNETES_VERSION = "1.33.0"


def kubernetes_documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append(
                    (f"{path.name}:{document['kind']}/{document['metadata']['name']}", document)
                )
    return found


@pytest.mark.parametrize(
    ("name", "document"), kubernetes_documents(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_kubernetes_document_is_valid(name: str, document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_the_compose_file_follows_the_compose_spec() -> None:
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(schema_file.joinpath("compose-spec.json").read_text())
    # The spec names draft-07 by an https address jsonschema does not know by that name.
    validator = jsonschema.Draft7Validator(schema)
    assert list(validator.iter_errors({"services": {"api": {"imag": "x"}}}))  # it is strict
    errors = sorted(validator.iter_errors(_compose()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def _env_file(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            found[key.strip()] = value.strip()
    return found


def test_the_settings_they_give_are_sitepulses_settings() -> None:
    example = _env_file(DEPLOY / "sitepulse.env.example")
    settings = load_settings(example)  # unknown names and bad values raise
    assert settings.kafka_broker == "kafka" and settings.kafka_replication == 3
    config: dict[str, str] = {}
    for _, document in kubernetes_documents():
        if document["kind"] in ("ConfigMap", "Secret"):
            config.update(document.get("data") or document.get("stringData") or {})
        for container in _containers(document):
            config.update({e["name"]: e["value"] for e in container.get("env", [])})
    assert load_settings(config).kafka_partitions > 4 * _replicas()["streams"] // 2
    for service in _compose()["services"].values():
        environment = service.get("environment", {})
        if isinstance(environment, dict) and any(k.startswith("SITEPULSE_") for k in environment):
            load_settings({**example, **{k: str(v) for k, v in environment.items()}})


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    if document["kind"] not in ("Deployment", "Job"):
        return []
    containers: list[dict[str, Any]] = document["spec"]["template"]["spec"]["containers"]
    return containers


def _replicas() -> dict[str, int]:
    return {
        d["metadata"]["name"]: d["spec"]["replicas"]
        for _, d in kubernetes_documents()
        if d["kind"] == "Deployment"
    }


def test_every_service_runs_replicated_with_probes_resources_and_metrics() -> None:
    defaults = Settings()
    deployments = {
        d["metadata"]["name"]: d for _, d in kubernetes_documents() if d["kind"] == "Deployment"
    }
    for name in SERVICE_NAMES:
        deployment = deployments[name]
        port = _port(defaults, name)
        [container] = _containers(deployment)
        assert container["args"] == ["run", name]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["path"] == "/healthz", (name, probe)
        assert container["ports"][0]["containerPort"] == port
        assert {"requests", "limits"} <= set(container["resources"])
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(port)
        assert deployment["spec"]["replicas"] >= 2, name
    assert deployments["celery-beat"]["spec"]["replicas"] == 1  # the schedule runs once
    compose = _compose()["services"]
    for name in SERVICE_NAMES:
        service = compose[name]
        assert service["command"] == ["run", name]
        assert f":{_port(defaults, name)}/healthz" in " ".join(service["healthcheck"]["test"])
        assert service["deploy"]["replicas"] >= 2
    assert compose["celery-beat"]["deploy"]["replicas"] == 1
    assert compose["celery"]["environment"]["SITEPULSE_CELERY_BEAT"] == "false"
    # Evaluations and deliveries on workers of their own, every queue served.
    served = {
        name: compose[name]["environment"]["SITEPULSE_CELERY_QUEUES"]
        for name in ("celery", "celery-beat")
    }
    assert served == {"celery": "notify", "celery-beat": "evaluate"}
    for name, queues in served.items():
        settings = Settings(celery_queues=queues)
        assert settings.celery_queues == queues, name
    scraped = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())["scrape_configs"]
    ports = {c["job_name"]: c["dns_sd_configs"][0]["port"] for c in scraped}
    assert ports == {name: _port(defaults, name) for name in SERVICE_NAMES}


def test_each_streams_role_runs_in_deployments_of_its_own() -> None:
    """Each role in its own Deployment and Compose service (each its own consumer group),
    together every role once, each probed and scraped."""
    deployments = {
        d["metadata"]["name"]: d for _, d in kubernetes_documents() if d["kind"] == "Deployment"
    }
    compose = _compose()["services"]
    role_sets = {
        "streams": "passes",
        "streams-attendance": "attendance",
        "streams-faces": "faces",
        "streams-heartbeats": "heartbeats",
        "streams-payroll": "payroll",
    }
    for name, roles in role_sets.items():
        [container] = _containers(deployments[name])
        assert container["args"] == ["run", "streams"]
        env = {e["name"]: e["value"] for e in container["env"]}
        assert Settings(streams_roles=env["SITEPULSE_STREAMS_ROLES"]).roles == {roles}
        assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
        assert deployments[name]["spec"]["replicas"] >= 2
        assert compose[name]["environment"]["SITEPULSE_STREAMS_ROLES"] == roles
        assert compose[name]["command"] == ["run", "streams"]
    scraped = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())["scrape_configs"]
    [streams_job] = [c for c in scraped if c["job_name"] == "streams"]
    assert set(streams_job["dns_sd_configs"][0]["names"]) == set(role_sets)
