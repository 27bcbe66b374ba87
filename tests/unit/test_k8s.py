"""deploy/k8s stays valid Kubernetes and in step with the code (and with compose.yaml, where they overlap).

No cluster here: every built-in object is checked against the pinned Kubernetes version's JSON schemas
(kubernetes-validate, strict: an unknown field fails), KEDA's objects (no schema there) by hand, and all of
them against the code: one Deployment per entry in SERVICES and none other, only settings the services read,
probes on the port the container serves, one ScaledObject per consuming service on its own group and topics.
"""
from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from faststream.security import SASLScram512

from jointaid import registry
from jointaid import kafka_acls
from jointaid.cli import parser as cli_parser
from services.kit import health
from services.kit.consumer import topic_of
from services.kit.kafka_security import security
from services.kit.settings import ENV_VARS, REQUIRED_ENV, SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33.0"  # the schemas every built-in object must satisfy
KEDA = "keda.sh/v1alpha1"
NAMESPACE = "jointaid"
PASSWORD = re.compile(r"^[A-Za-z0-9._~+/=-]{12,}$")  # as compose's (deploy/kafka/entrypoint.sh accepts these)
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
# compose's addresses are its containers' names; here they are the platform's Services
ADDRESSES = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "OTEL_EXPORTER_OTLP_ENDPOINT")
KEDA_SASL = {"SCRAM-SHA-512": "scram_sha512", "SCRAM-SHA-256": "scram_sha256", "PLAIN": "plaintext"}  # its names


def load(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


KUSTOMIZATION = load(K8S / "kustomization.yaml")[0]
FILES = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
DOCS: list[tuple[str, dict]] = [(path.name, doc) for path in FILES for doc in load(path)]
OBJECTS = [doc for _, doc in DOCS]


def of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in OBJECTS if doc["kind"] == kind}


DEPLOYMENTS = of_kind("Deployment")
CONFIGMAPS = of_kind("ConfigMap")
SECRETS = of_kind("Secret")
SCALED = of_kind("ScaledObject")
TRIGGER_AUTHS = of_kind("TriggerAuthentication")
JOBS = of_kind("Job")
CONFIG = CONFIGMAPS["jointaid-config"]["data"]
PARTITIONS = Settings.from_env({**CONFIG, "DATABASE_URL": "x", "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}).partitions


def name_of(service: str) -> str:
    """A Kubernetes name has no underscore: civil_affairs -> civil-affairs (compose's container names too)."""
    return service.replace("_", "-")


def kafka_secret(user: str) -> str:
    return f"jointaid-kafka-{name_of(user)}"


def consumed(service: str) -> set[str]:
    return {topic_of(event) for event, who in registry.consumers().items() if service in who}


def container(workload: dict) -> dict:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: one container per pod"
    return containers[0]


def service_of(deployment: dict) -> str:
    args = container(deployment).get("args") or []
    assert len(args) == 2 and args[0] == "run", f"{deployment['metadata']['name']}: args {args} is no `jointaid run`"
    return args[1]


def secret_data(secret: dict) -> dict[str, str]:
    data = {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}
    return {**data, **{key: str(value) for key, value in (secret.get("stringData") or {}).items()}}


def secret_volumes(workload: dict) -> dict[str, dict]:
    """mountPath -> the Secret volume mounted there."""
    volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"].get("volumes") or []}
    found = {}
    for mount in container(workload).get("volumeMounts") or []:
        volume = volumes[mount["name"]]
        if "secret" in volume:
            found[mount["mountPath"]] = volume["secret"]
    return found


def mounted_secrets(workload: dict) -> list[str]:
    return [volume["secretName"] for volume in secret_volumes(workload).values()]


def raw_env(workload: dict) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom (ConfigMaps, Secrets), then env."""
    spec = container(workload)
    env: dict[str, str] = {}
    for source in spec.get("envFrom") or []:
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in CONFIGMAPS, f"envFrom names no ConfigMap here: {name}"
            env.update({key: str(value) for key, value in CONFIGMAPS[name]["data"].items()})
        else:
            name = source["secretRef"]["name"]
            assert name in SECRETS, f"envFrom names no Secret here: {name}"
            env.update(secret_data(SECRETS[name]))
    for item in spec.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        else:
            ref = item["valueFrom"].get("secretKeyRef") or item["valueFrom"]["configMapKeyRef"]
            source = SECRETS.get(ref["name"]) if "secretKeyRef" in item["valueFrom"] else CONFIGMAPS.get(ref["name"])
            assert source, f"{item['name']}: no object {ref['name']!r} here"
            env[item["name"]] = (secret_data(source) if "secretKeyRef" in item["valueFrom"] else source["data"])[ref["key"]]
    return env


def env_of(workload: dict, tmp_path: Path) -> dict[str, str]:
    """raw_env, with a password file in a mounted Secret written out where the test can read it."""
    env = raw_env(workload)
    path = env.get("KAFKA_SASL_PASSWORD_FILE")
    if path:
        folder, _, filename = path.rpartition("/")
        volume = secret_volumes(workload).get(folder)
        assert volume, f"{path}: no Secret is mounted at {folder}"
        items = {item["path"]: item["key"] for item in volume.get("items") or []}
        data = secret_data(SECRETS[volume["secretName"]])
        key = items.get(filename, filename) if items else filename
        assert key in data, f"{path}: Secret {volume['secretName']} has no key {key!r}"
        local = tmp_path / volume["secretName"] / filename
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(data[key], encoding="utf-8")
        env["KAFKA_SASL_PASSWORD_FILE"] = str(local)
    return env


def compose_env(name: str) -> dict[str, str]:
    return {key: str(value) for key, value in COMPOSE["services"][name]["environment"].items()}


def served_port(service: str, settings: Settings) -> int:
    """Where the process listens: intake's API, a worker's metrics and probes (services/kit/health.py)."""
    if service == "intake":
        assert settings.http_host == "0.0.0.0", "intake must listen on all interfaces in a pod"
        return settings.http_port
    assert settings.metrics_port, f"{service}: JOINTAID_METRICS_PORT is not set: no /healthz, /readyz"
    return settings.metrics_port


def container_port(spec: dict, port) -> int:
    """A probe's or Service's port (a number or a port's name) as the container declares it."""
    declared = {p.get("name"): p["containerPort"] for p in spec.get("ports") or []}
    if isinstance(port, str):
        assert port in declared, f"port {port!r} is not declared by the container"
        return declared[port]
    assert port in declared.values(), f"port {port} is not declared by the container"
    return port


# ---- the files ---------------------------------------------------------------------------------

def test_kustomization_lists_every_file():
    assert KUSTOMIZATION["kind"] == "Kustomization"
    assert sorted(KUSTOMIZATION["resources"]) == [path.name for path in FILES]


def test_objects_are_named_once_and_live_in_the_namespace():
    keys = [(doc["kind"], doc["metadata"]["name"]) for doc in OBJECTS]
    assert len(keys) == len(set(keys)), "an object is declared twice"
    assert list(of_kind("Namespace")) == [NAMESPACE]
    for doc in OBJECTS:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize("doc", [d for _, d in DOCS if not d["apiVersion"].startswith("keda.sh/")],
                         ids=[f"{f}:{d['kind']}/{d['metadata']['name']}" for f, d in DOCS
                              if not d["apiVersion"].startswith("keda.sh/")])
def test_builtin_objects_validate(doc):
    """Strict: a misspelt or misplaced field fails, not only a wrong type."""
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_custom_objects_are_keda_only():
    """kubernetes-validate has no schema for KEDA's objects (checked by hand below); any other custom object
    fails test_builtin_objects_validate with SchemaNotFoundError."""
    for doc in OBJECTS:
        if doc["apiVersion"].startswith("keda.sh/"):
            assert doc["apiVersion"] == KEDA and doc["kind"] in ("ScaledObject", "TriggerAuthentication"), doc["kind"]
            with pytest.raises(kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


# ---- one Deployment per service ------------------------------------------------------------------

def test_one_deployment_per_service_and_none_other():
    assert sorted(DEPLOYMENTS) == sorted(name_of(s) for s in SERVICES)
    for name, deployment in DEPLOYMENTS.items():
        service = service_of(deployment)
        assert service in SERVICES and name == name_of(service), f"Deployment {name!r} runs {service!r}"
        assert "command" not in container(deployment), f"{name}: the image's entrypoint is `jointaid`"
        cli_parser().parse_args(container(deployment)["args"])  # `jointaid run X` accepts it


def test_one_image_for_every_container():
    images = {container(w)["image"] for w in [*DEPLOYMENTS.values(), *JOBS.values()]}
    assert len(images) == 1, images
    assert images.pop().split("/")[-1].split(":")[0] == "jointaid"


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_pods_select_their_own_labels_and_declare_resources(name):
    deployment = DEPLOYMENTS[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    for other, spec in DEPLOYMENTS.items():  # a selector matching another service's pods would mix them
        if other != name:
            assert not selector.items() <= spec["spec"]["template"]["metadata"]["labels"].items(), other
    resources = container(deployment)["resources"]
    for part in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[part]), f"{name}: {part} lacks cpu or memory"


@pytest.mark.parametrize("service", SERVICES)
def test_service_settings_are_known_and_complete(service, tmp_path):
    deployment = DEPLOYMENTS[name_of(service)]
    env = env_of(deployment, tmp_path)
    unknown = set(env) - set(ENV_VARS)
    assert not unknown, f"{service}: unknown setting(s) {sorted(unknown)} (see services.kit.settings.ENV_VARS)"
    for var in REQUIRED_ENV:
        assert env.get(var), f"{service}: {var} is not set"
    assert "KAFKA_SASL_PASSWORD" not in env, "passwords come from a mounted Secret's file, not the environment"
    settings = Settings.from_env(env)  # parses exactly as the service will
    assert settings.enable_idempotence and settings.otlp_endpoint and settings.partitions == PARTITIONS
    assert settings.kafka_security_protocol.startswith("SASL_") and settings.kafka_sasl_username == service
    built = security(settings)
    assert isinstance(built, SASLScram512) and built.username == service and built.password


@pytest.mark.parametrize("service", SERVICES)
def test_service_environment_matches_compose(service):
    """Same settings as its compose container, the same values but for the addresses."""
    here, there = raw_env(DEPLOYMENTS[name_of(service)]), compose_env(name_of(service))
    assert sorted(here) == sorted(there), f"{service}: compose.yaml and deploy/k8s set different variables"
    for key, value in there.items():
        if key not in ADDRESSES:
            assert here[key] == value, f"{service}: {key} is {here[key]!r} here, {value!r} in compose.yaml"


def test_shared_settings_are_composes_and_point_at_services():
    shared = {key: str(value) for key, value in COMPOSE["x-jointaid"]["environment"].items()}
    database = secret_data(SECRETS["jointaid-database"])
    assert sorted([*CONFIG, *database]) == sorted(shared), "the ConfigMap and jointaid-database are compose's x-jointaid"
    for key, value in CONFIG.items():
        if key not in ADDRESSES:
            assert str(value) == shared[key], key
    dns = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # a Service's name (a DNS label): no dots, no underscore
    bootstrap = [address.rpartition(":") for address in CONFIG["KAFKA_BOOTSTRAP_SERVERS"].split(",")]
    assert all(dns.match(host) and port.isdigit() for host, _, port in bootstrap)
    url, compose_url = urlsplit(database["DATABASE_URL"]), urlsplit(shared["DATABASE_URL"])
    assert url.scheme == compose_url.scheme and dns.match(url.hostname)
    assert (url.username, url.port, url.path) == (compose_url.username, compose_url.port, compose_url.path)
    otlp = urlsplit(CONFIG["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert dns.match(otlp.hostname) and otlp.port == 4318, "the services send OTLP/HTTP to :4318"


# ---- secrets: one principal per service, development placeholders -------------------------------------

def test_secrets_are_marked_as_development_placeholders():
    text = (K8S / "secrets.yaml").read_text(encoding="utf-8")
    assert "DEVELOPMENT PLACEHOLDERS" in text and "replace" in text
    users = [kafka_acls.ADMIN, *SERVICES]
    assert sorted(name for name in SECRETS if name.startswith("jointaid-kafka-")) == sorted(map(kafka_secret, users))
    for user in users:
        data = secret_data(SECRETS[kafka_secret(user)])
        assert data["username"] == user
        assert PASSWORD.match(data["password"]) and "dev-only" in data["password"], user


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_authenticates_as_itself_only(service):
    deployment = DEPLOYMENTS[name_of(service)]
    kafka = [name for name in mounted_secrets(deployment) if name.startswith("jointaid-kafka-")]
    assert kafka == [kafka_secret(service)], f"{service} must hold its own Kafka password, and no other"
    for volume in deployment["spec"]["template"]["spec"]["volumes"]:
        if "secret" in volume:
            assert volume["secret"].get("defaultMode") == 0o440, "readable by the pod's fsGroup, not by others"
    pod = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] and pod["fsGroup"] == pod["runAsUser"] == 10001, "the image's user (deploy/Dockerfile)"


def test_only_the_topics_job_holds_the_admin_password():
    holders = [name for name, w in [*DEPLOYMENTS.items(), *JOBS.items()] if kafka_secret(kafka_acls.ADMIN) in mounted_secrets(w)]
    assert holders == ["jointaid-topics"]


def test_intake_replicas_share_one_signing_key():
    intake = DEPLOYMENTS["intake"]
    keys_dir = raw_env(intake)["JOINTAID_KEYS_DIR"]
    assert keys_dir in secret_volumes(intake), "intake's key pair must come from one Secret: each pod would make its own"
    name = secret_volumes(intake)[keys_dir]["secretName"]
    assert name in (K8S / "README.md").read_text(encoding="utf-8"), f"README.md must say how to create {name}"


# ---- probes and ports -------------------------------------------------------------------------------

@pytest.mark.parametrize("service", SERVICES)
def test_probes_ask_the_port_the_service_serves(service, tmp_path):
    deployment = DEPLOYMENTS[name_of(service)]
    spec = container(deployment)
    port = served_port(service, Settings.from_env(env_of(deployment, tmp_path)))
    assert spec["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert spec["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        if kind in spec:
            probe = spec[kind]["httpGet"]
            assert probe["path"] in ("/readyz", "/healthz"), kind
            assert container_port(spec, probe["port"]) == port, f"{service}: {kind} asks a port nobody serves"
    # /readyz asks the database then the broker, READY_TIMEOUT each: the probe must wait for both
    assert spec["readinessProbe"].get("timeoutSeconds", 1) > 2 * health.READY_TIMEOUT


def test_intake_serves_metrics_itself_and_workers_on_their_port(tmp_path):
    for service in SERVICES:
        settings = Settings.from_env(env_of(DEPLOYMENTS[name_of(service)], tmp_path))
        assert (settings.metrics_port is None) == (service == "intake"), service


def test_intake_service_reaches_the_api(tmp_path):
    service = of_kind("Service")["intake"]
    deployment = DEPLOYMENTS["intake"]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    port = served_port("intake", Settings.from_env(env_of(deployment, tmp_path)))
    assert [container_port(container(deployment), p["targetPort"]) for p in service["spec"]["ports"]] == [port]


# ---- topics ------------------------------------------------------------------------------------------

def test_topics_job_runs_composes_command_as_admin(tmp_path):
    job = JOBS["jointaid-topics"]
    compose = COMPOSE["services"]["topics"]
    spec = container(job)
    assert spec["command"] == compose["entrypoint"] and spec["args"] == compose["command"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")
    settings = Settings.from_env(env_of(job, tmp_path))
    assert settings.kafka_sasl_username == kafka_acls.ADMIN and settings.kafka_sasl_password
    assert settings.partitions == PARTITIONS
    assert not set(raw_env(job)) - set(ENV_VARS)


# ---- KEDA --------------------------------------------------------------------------------------------

def test_every_consuming_service_scales_and_nothing_else():
    consumers = [s for s in SERVICES if consumed(s)]
    assert sorted(SCALED) == sorted(map(name_of, consumers))
    for doc in OBJECTS:
        if doc["kind"] in ("ScaledObject", "TriggerAuthentication"):
            assert doc["apiVersion"] == KEDA


@pytest.mark.parametrize("name", sorted(SCALED))
def test_scaled_object_reads_the_services_own_group_and_topics(name):
    scaled = SCALED[name]["spec"]
    target = scaled["scaleTargetRef"]
    assert target.get("kind", "Deployment") == "Deployment" and target.get("apiVersion", "apps/v1") == "apps/v1"
    assert target["name"] in DEPLOYMENTS, f"{name}: scales no Deployment here"
    deployment = DEPLOYMENTS[target["name"]]
    service = service_of(deployment)
    assert "replicas" not in deployment["spec"], f"{target['name']}: KEDA owns the replicas; apply would reset them"
    assert 1 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"] <= PARTITIONS, (
        "a replica beyond the partitions of a topic would sit idle; 0 would stop the sweepers and the API")
    group = kafka_acls.group_ids()[service]
    mechanism = KEDA_SASL[raw_env(deployment)["KAFKA_SASL_MECHANISM"]]
    topics = []
    for trigger in scaled["triggers"]:
        meta = trigger["metadata"]
        assert trigger["type"] == "kafka"
        assert all(isinstance(value, str) for value in meta.values()), "KEDA's metadata is a map of strings"
        assert meta["bootstrapServers"] == CONFIG["KAFKA_BOOTSTRAP_SERVERS"]
        assert meta["consumerGroup"] == group, f"{name}: the service's group is {group!r}"
        assert int(meta["lagThreshold"]) > 0
        assert meta.get("offsetResetPolicy") == "earliest", "as the consumer's auto_offset_reset"
        assert meta.get("sasl") == mechanism
        assert meta.get("allowIdleConsumers", "false") == "false"
        auth = TRIGGER_AUTHS[trigger["authenticationRef"]["name"]]["spec"]["secretTargetRef"]
        refs = {ref["parameter"]: (ref["name"], ref["key"]) for ref in auth}
        assert refs == {"username": (kafka_secret(service), "username"), "password": (kafka_secret(service), "password")}
        topics.append(meta["topic"])
    assert len(topics) == len(set(topics))
    assert set(topics) == consumed(service), f"{name}: triggers on {sorted(topics)}, consumes {sorted(consumed(service))}"
