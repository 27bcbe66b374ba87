"""compose.yaml, deploy/Dockerfile and deploy/otel-collector.yaml stay in step with the code.

No Docker here: the files are checked by reading them. A new entry in SERVICES without a
container, an unknown setting, or a container for a service that no longer exists fails.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from jointaid.cli import parser as cli_parser
from services.kit.settings import ENV_VARS, REQUIRED_ENV, SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
CONTAINERS: dict[str, dict] = COMPOSE["services"]


def container_name(service: str) -> str:
    return service.replace("_", "-")


def env_of(container: dict) -> dict[str, str]:
    raw = container.get("environment") or {}
    if isinstance(raw, list):  # ["KEY=value", ...]
        raw = dict(item.split("=", 1) for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def command_of(container: dict) -> list[str]:
    raw = container.get("command") or []
    return raw.split() if isinstance(raw, str) else [str(part) for part in raw]


def service_container(service: str) -> dict:
    name = container_name(service)
    assert name in CONTAINERS, f"compose.yaml has no container {name!r} for service {service!r}"
    return CONTAINERS[name]


def runs_a_service(container: dict) -> bool:
    command = command_of(container)
    return bool(command) and command[0] == "run"


SERVICE_CONTAINERS = {name: CONTAINERS[container_name(name)] for name in SERVICES if container_name(name) in CONTAINERS}
# Everything built from our image: the service containers and the one-shot topic creator.
JOINTAID_CONTAINERS = {name: c for name, c in CONTAINERS.items() if "build" in c or runs_a_service(c)}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_its_container(service):
    assert command_of(service_container(service)) == ["run", service]


def test_no_container_runs_an_unknown_service():
    for name, container in CONTAINERS.items():
        if not runs_a_service(container):
            continue
        command = command_of(container)
        assert len(command) == 2 and command[1] in SERVICES, f"{name}: {command} names no service in SERVICES"
        assert name == container_name(command[1]), f"container {name!r} runs {command[1]!r}"
        cli_parser().parse_args(command)  # `jointaid run X` accepts it


@pytest.mark.parametrize("service", SERVICES)
def test_service_settings(service):
    env = env_of(service_container(service))
    for var in REQUIRED_ENV:
        assert env.get(var), f"{service}: {var} is not set"
    settings = Settings.from_env(env)  # parses exactly as the service will
    assert settings.enable_idempotence, f"{service}: JOINTAID_ENABLE_IDEMPOTENCE must be on for Apache Kafka"
    assert settings.otlp_endpoint, f"{service}: OTEL_EXPORTER_OTLP_ENDPOINT is not set"
    assert settings.partitions >= 1


def test_every_variable_set_is_a_known_setting():
    for name, container in JOINTAID_CONTAINERS.items():
        unknown = set(env_of(container)) - set(ENV_VARS)
        assert not unknown, f"{name}: unknown setting(s) {sorted(unknown)} (see services.kit.settings.ENV_VARS)"


def test_addresses_point_at_the_stack():
    kafka_env = env_of(CONTAINERS["kafka"])
    advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    pg_env = env_of(CONTAINERS["postgres"])
    for service, container in SERVICE_CONTAINERS.items():
        env = env_of(container)
        assert f"PLAINTEXT://{env['KAFKA_BOOTSTRAP_SERVERS']}" in advertised, service
        url = urlsplit(env["DATABASE_URL"])
        assert url.scheme in ("postgresql", "postgres") and url.hostname == "postgres", service
        assert (url.username, url.password, url.path.lstrip("/")) == (
            pg_env["POSTGRES_USER"], pg_env["POSTGRES_PASSWORD"], pg_env["POSTGRES_DB"]), service
        otlp = urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
        assert otlp.hostname in CONTAINERS and otlp.port == 4318, service  # OTLP/HTTP (the SDK's exporter)


def test_kafka_is_a_single_kraft_node_without_auto_created_topics():
    kafka = CONTAINERS["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = env_of(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for var in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
        assert env[var] == "1", var
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    assert "kafka-broker-api-versions.sh" in str(kafka["healthcheck"]["test"])


def test_images():
    assert re.match(r"^postgres:\d+", CONTAINERS["postgres"]["image"])
    assert "pg_isready" in str(CONTAINERS["postgres"]["healthcheck"]["test"])
    assert CONTAINERS["jaeger"]["image"].startswith("jaegertracing/")
    assert "16686:16686" in [str(p) for p in CONTAINERS["jaeger"].get("ports", [])]
    assert CONTAINERS["otel-collector"]["image"].startswith("otel/opentelemetry-collector")


def test_intake_listens_on_all_interfaces_and_is_published():
    intake = CONTAINERS["intake"]
    settings = Settings.from_env(env_of(intake))
    assert settings.http_host == "0.0.0.0"
    assert f"{settings.http_port}:{settings.http_port}" in [str(p) for p in intake["ports"]]
    assert "/readyz" in str(intake["healthcheck"]["test"])


def test_jointaid_containers_build_from_the_dockerfile():
    images = set()
    for name, container in JOINTAID_CONTAINERS.items():
        build = container.get("build")
        assert isinstance(build, dict), f"{name}: no build section"
        context = ROOT / build.get("context", ".")
        assert build.get("dockerfile") == "deploy/Dockerfile", name
        assert (context / build["dockerfile"]).is_file(), name
        images.add(container.get("image"))
    assert len(images) == 1, f"one image for every jointaid container, got {images}"
    assert set(SERVICE_CONTAINERS) == set(SERVICES)


def test_dockerfile():
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r'^ENTRYPOINT \["jointaid"\]', text, re.M)
    assert re.search(r"^USER (?!root\b|0\b)\S+", text, re.M), "runs as a non-root user"
    install = re.search(r"^RUN pip install --no-cache-dir (\S+)", text, re.M)
    assert install and install.group(1) == ".", "installs the project itself, without the [test] extras"
    for source in re.findall(r"^COPY (?!--from)(?:--\S+ )*(\S+) \S+$", text, re.M):
        assert (ROOT / source).exists(), f"COPY {source}: no such path"
    policy = re.search(r"JOINTAID_POLICY=/app/(\S+)", text)
    assert policy and (ROOT / policy.group(1)).is_file(), "the policy file is not package data: the image points at it"


def test_topics_are_created_before_the_services_start():
    topics = CONTAINERS["topics"]
    assert "ensure_topics" in " ".join(command_of(topics)) + " ".join(topics.get("entrypoint") or [])
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert topics.get("restart", "no") == "no"
    for service, container in SERVICE_CONTAINERS.items():
        deps = container["depends_on"]
        assert deps["kafka"]["condition"] == "service_healthy", service
        assert deps["postgres"]["condition"] == "service_healthy", service
        assert deps["topics"]["condition"] == "service_completed_successfully", service
        assert container.get("restart") == "unless-stopped", service


@pytest.mark.parametrize("service", SERVICES)
def test_service_has_a_healthcheck(service):
    check = service_container(service).get("healthcheck") or {}
    assert not check.get("disable") and check.get("test"), f"{service}: no healthcheck"


def collector_config() -> tuple[dict, dict]:
    collector = CONTAINERS["otel-collector"]
    for volume in collector.get("volumes", []):
        source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
        if source.endswith((".yaml", ".yml")):
            path = ROOT / source
            assert path.is_file(), f"collector config {source} is missing"
            return collector, yaml.safe_load(path.read_text(encoding="utf-8"))
    pytest.fail("the collector mounts no config file")


def test_collector_sends_traces_to_jaeger():
    collector, config = collector_config()
    traces = config["service"]["pipelines"]["traces"]
    assert "otlp" in traces["receivers"]
    assert set(traces["receivers"]) <= set(config["receivers"])
    assert set(traces.get("processors", [])) <= set(config.get("processors", {}))
    assert set(traces["exporters"]) <= set(config["exporters"])
    to_jaeger = [name for name in traces["exporters"]
                 if "jaeger" in str((config["exporters"][name] or {}).get("endpoint", ""))]
    assert to_jaeger, "no traces exporter points at jaeger"
    host = str(config["exporters"][to_jaeger[0]]["endpoint"]).split("//")[-1].split(":")[0]
    assert host in CONTAINERS
    http = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert http.startswith("0.0.0.0:") and http.endswith(":4318"), "the services send OTLP/HTTP to :4318"


@pytest.mark.parametrize("service", [s for s in SERVICES if s != "intake"])
def test_workers_expose_their_own_metrics(service):
    """Only intake serves HTTP: each worker serves its own Prometheus registry on JOINTAID_METRICS_PORT."""
    container = service_container(service)
    port = Settings.from_env(env_of(container)).metrics_port
    assert port, f"{service}: JOINTAID_METRICS_PORT is not set"
    assert str(port) in [str(p) for p in container.get("expose", [])], f"{service}: port {port} not exposed"


def test_intake_serves_metrics_itself():
    assert Settings.from_env(env_of(CONTAINERS["intake"])).metrics_port is None
