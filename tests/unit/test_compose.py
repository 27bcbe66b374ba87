"""compose.yaml, deploy/Dockerfile, deploy/otel-collector.yaml, deploy/kafka and deploy/keycloak stay in step
with the code.

No Docker here: the files are checked by reading them. A new entry in SERVICES without a
container, an unknown setting, or a container for a service that no longer exists fails; so does
a service holding another principal's Kafka password, or an ACL the code does not need.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from faststream.security import SASLScram512

from contracts import routes
from jointaid import registry
from contracts.topics import ALL_TOPICS, DLQ
from jointaid import kafka_acls
from jointaid.cli import parser as cli_parser
from services.intake.tokens import ROLES, STAFF_ROLES
from services.kit.consumer import topic_of
from services.kit.kafka_security import security
from services.kit.policy import load_policy_set
from services.kit.settings import ENV_VARS, REQUIRED_ENV, SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
CONTAINERS: dict[str, dict] = COMPOSE["services"]
SECRETS: dict[str, dict] = COMPOSE.get("secrets") or {}
RUN_SECRETS = "/run/secrets/"


def container_name(service: str) -> str:
    return service.replace("_", "-")


def secrets_of(container: dict) -> list[str]:
    return [item if isinstance(item, str) else item["source"] for item in container.get("secrets") or []]


def secret_file(name: str) -> Path:
    """The host file of a compose secret, ${VAR:-default} read as its default."""
    assert name in SECRETS, f"compose.yaml declares no secret {name!r}"
    return ROOT / re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", SECRETS[name]["file"])


def env_of(container: dict) -> dict[str, str]:
    raw = container.get("environment") or {}
    if isinstance(raw, list):  # ["KEY=value", ...]
        raw = dict(item.split("=", 1) for item in raw)
    env = {key: "" if value is None else str(value) for key, value in raw.items()}
    # a password file in /run/secrets is the host file of a secret the container mounts: read that one
    mounted = env.get("KAFKA_SASL_PASSWORD_FILE", "").removeprefix(RUN_SECRETS)
    if mounted in secrets_of(container):
        env["KAFKA_SASL_PASSWORD_FILE"] = str(secret_file(mounted))
    return env


def listeners(value: str) -> dict[str, str]:
    """'CLIENT://kafka:9092,EXTERNAL://:29092' -> {'CLIENT': 'kafka:9092', 'EXTERNAL': ':29092'}"""
    return dict(item.split("://", 1) for item in value.split(","))


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
    advertised = {address: name for name, address in listeners(kafka_env["KAFKA_ADVERTISED_LISTENERS"]).items()}
    protocols = dict(item.split(":") for item in kafka_env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    pg_env = env_of(CONTAINERS["postgres"])
    for service, container in SERVICE_CONTAINERS.items():
        env = env_of(container)
        listener = advertised.get(env["KAFKA_BOOTSTRAP_SERVERS"])
        assert listener, f"{service}: {env['KAFKA_BOOTSTRAP_SERVERS']} is no advertised listener"
        assert protocols[listener] == Settings.from_env(env).kafka_security_protocol, service
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
    # the controller listener is PLAINTEXT: it is reachable from this container only
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@127.0.0.1:")
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
    assert policy and (ROOT / policy.group(1)).exists(), "the policy is not package data: the image points at it"
    assert len(load_policy_set(ROOT / policy.group(1)).versions) >= 2, "the image gets every version, not one file"


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
    """Each worker serves its own Prometheus registry, /healthz and /readyz on JOINTAID_METRICS_PORT; its
    healthcheck asks that port's /readyz."""
    container = service_container(service)
    port = Settings.from_env(env_of(container)).metrics_port
    assert port, f"{service}: JOINTAID_METRICS_PORT is not set"
    assert str(port) in [str(p) for p in container.get("expose", [])], f"{service}: port {port} not exposed"
    assert f"127.0.0.1:{port}/readyz" in str(container["healthcheck"]["test"]), f"{service}: healthcheck is not its /readyz"


def test_intake_serves_metrics_itself():
    assert Settings.from_env(env_of(CONTAINERS["intake"])).metrics_port is None


# ---- the broker: SCRAM per principal, ACLs from the code -------------------------------------

KAFKA = CONTAINERS["kafka"]
KAFKA_ENV = env_of(KAFKA)
PASSWORD = re.compile(r"^[A-Za-z0-9._~+/=-]{12,}$")  # what deploy/kafka/entrypoint.sh accepts


def kafka_secrets(container: dict) -> list[str]:
    return [name for name in secrets_of(container) if name.startswith("kafka_")]


def mounted_file(container: dict, target: str) -> Path:
    """The repository file a container mounts at `target` (a bind mount of ./...)."""
    for volume in container.get("volumes", []):
        source, _, rest = volume.partition(":")
        if rest.split(":")[0] == target:
            assert source.startswith("./"), f"{target} is not a file of this repository"
            path = ROOT / source
            assert path.is_file(), f"{source} is missing"
            return path
    pytest.fail(f"nothing is mounted at {target}")


def test_kafka_authenticates_every_client_and_authorizes_by_acl():
    names = listeners(KAFKA_ENV["KAFKA_LISTENERS"])
    protocols = dict(item.split(":") for item in KAFKA_ENV["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(protocols) == set(names)
    for name, address in names.items():
        if protocols[name] == "PLAINTEXT":  # unauthenticated = ANONYMOUS, a super user: loopback only
            assert address.startswith("127.0.0.1:"), f"{name} is PLAINTEXT on {address}"
        else:
            assert protocols[name] in ("SASL_PLAINTEXT", "SASL_SSL"), name
            jaas = KAFKA_ENV[f"KAFKA_LISTENER_NAME_{name}_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
            assert "ScramLoginModule required" in jaas and "password" not in jaas, name
    assert {KAFKA_ENV["KAFKA_CONTROLLER_LISTENER_NAMES"], KAFKA_ENV["KAFKA_INTER_BROKER_LISTENER_NAME"]} <= {
        name for name, protocol in protocols.items() if protocol == "PLAINTEXT"}
    published = [str(port).split(":")[-1] for port in KAFKA.get("ports", [])]
    for name, address in names.items():
        if address.rsplit(":", 1)[1] in published:
            assert protocols[name] != "PLAINTEXT", f"{name} is published to the host without authentication"
    assert KAFKA_ENV["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert KAFKA_ENV["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert KAFKA_ENV["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert set(KAFKA_ENV["KAFKA_SUPER_USERS"].split(";")) == {kafka_acls.principal(kafka_acls.ADMIN), "User:ANONYMOUS"}


def test_kafka_creates_one_scram_user_per_principal():
    assert KAFKA["entrypoint"][0] == "/bin/bash", "run by bash: no exec bit needed on the mounted file"
    text = mounted_file(KAFKA, KAFKA["entrypoint"][-1]).read_text(encoding="utf-8")
    assert "kafka-storage.sh format" in text and "--add-scram" in text and "SCRAM-SHA-512=[name=" in text
    assert re.search(r"^exec /etc/kafka/docker/run$", text, re.M), "then starts as the image does"
    assert "set -x" not in text
    users = [kafka_acls.ADMIN, *SERVICES]
    assert sorted(kafka_secrets(KAFKA)) == sorted(kafka_acls.secret_name(user) for user in users)
    for user in users:
        password = secret_file(kafka_acls.secret_name(user)).read_text(encoding="utf-8").strip()
        assert PASSWORD.match(password), f"{user}: the entrypoint would refuse this password"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_authenticates_as_itself_only(service):
    container = service_container(service)
    own = kafka_acls.secret_name(service)
    assert kafka_secrets(container) == [own], f"{service} must hold its own Kafka password, and no other"
    raw = {key: str(value) for key, value in container["environment"].items()}
    assert raw["KAFKA_SASL_PASSWORD_FILE"] == RUN_SECRETS + own
    assert "KAFKA_SASL_PASSWORD" not in raw, "passwords come from the secret file, not the environment"
    settings = Settings.from_env(env_of(container))
    assert settings.kafka_security_protocol == "SASL_PLAINTEXT" and settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.kafka_sasl_username == service
    built = security(settings)
    assert isinstance(built, SASLScram512) and built.username == service and built.password


def test_only_the_admin_tools_hold_the_admin_password():
    admin = kafka_acls.secret_name(kafka_acls.ADMIN)
    holders = {name for name, container in CONTAINERS.items() if admin in secrets_of(container)}
    assert holders == {"kafka", "topics", "kafka-acls"}
    assert kafka_secrets(CONTAINERS["topics"]) == [admin] and kafka_secrets(CONTAINERS["kafka-acls"]) == [admin]
    topics = Settings.from_env(env_of(CONTAINERS["topics"]))
    assert topics.kafka_sasl_username == kafka_acls.ADMIN and topics.kafka_sasl_password
    command = " ".join(command_of(CONTAINERS["topics"]))
    assert "security=security(s)" in command, "the topic creator must authenticate"
    for name, container in CONTAINERS.items():
        if name != "kafka":
            assert len(kafka_secrets(container)) <= 1, f"{name} holds several Kafka passwords"


def test_acl_script_is_generated_from_the_code():
    acls = CONTAINERS["kafka-acls"]
    assert acls["image"] == KAFKA["image"], "kafka-acls.sh comes with the broker's image"
    script = mounted_file(acls, acls["entrypoint"][-1])
    assert script.relative_to(ROOT).as_posix() == kafka_acls.SCRIPT_PATH
    assert script.read_text(encoding="utf-8") == kafka_acls.render_script(), (
        "deploy/kafka/acls.sh drifted from contracts/routes.py: run `make schemas` (python -m jointaid.kafka_acls)")
    assert acls["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert acls.get("restart", "no") == "no"
    assert env_of(acls)["BOOTSTRAP_SERVERS"] == env_of(CONTAINERS["intake"])["KAFKA_BOOTSTRAP_SERVERS"]
    for service, container in SERVICE_CONTAINERS.items():
        assert container["depends_on"]["kafka-acls"]["condition"] == "service_completed_successfully", service


@pytest.mark.parametrize("service", SERVICES)
def test_acls_grant_a_service_exactly_what_it_produces_and_consumes(service):
    """Read from the script compose runs, checked against contracts.routes independently of kafka_acls."""
    granted = kafka_acls.parse_script((ROOT / kafka_acls.SCRIPT_PATH).read_text(encoding="utf-8"))
    mine = {acl for acl in granted if acl.principal == f"User:{service}"}
    produced = {topic_of(event) for event, who in routes.PRODUCERS.items() if service in who}
    consumed = {topic_of(event) for event, who in registry.consumers().items() if service in who}
    consumer = bool(consumed)

    def names(operation: str, kind: str) -> set[str]:
        return {acl.name for acl in mine if (acl.operation, acl.resource_type) == (operation, kind)}

    # a service cannot write a topic it does not produce (aid.dlq: every consumer dead-letters there)
    assert names("Write", "topic") == produced | ({DLQ} if consumer else set())
    assert names("Read", "topic") == consumed
    assert names("Read", "group") == ({service} if consumer else set())  # group id = service (runner)
    assert names("IdempotentWrite", "cluster") == {kafka_acls.CLUSTER}
    describe = {acl for acl in mine if acl.operation == "Describe"}
    if service == kafka_acls.METRICS_READER:  # /metrics: every topic's offsets, every group's lag
        assert {acl.name for acl in describe if acl.resource_type == "topic"} <= set(ALL_TOPICS)
        assert {acl.name for acl in describe if acl.resource_type == "group"} <= set(SERVICES)
    else:
        assert not describe
    assert {acl.operation for acl in mine} <= {"Write", "Read", "IdempotentWrite", "Describe"}
    assert all("*" not in acl.name for acl in mine), "literal names only"


def test_no_acl_for_an_unknown_principal():
    granted = kafka_acls.parse_script((ROOT / kafka_acls.SCRIPT_PATH).read_text(encoding="utf-8"))
    known = {f"User:{name}" for name in (*SERVICES, *kafka_acls.outside_producers())}
    assert {acl.principal for acl in granted} <= known
    for acl in granted:
        if acl.principal not in {f"User:{s}" for s in SERVICES}:  # outside systems: only what they produce
            assert acl.operation in ("Write", "IdempotentWrite"), acl


# ---- the OIDC provider -----------------------------------------------------------------------

KEYCLOAK = CONTAINERS["keycloak"]


def realm() -> dict:
    return json.loads(mounted_file(KEYCLOAK, "/opt/keycloak/data/import/jointaid-realm.json").read_text(encoding="utf-8"))


def test_keycloak_imports_the_realm():
    assert KEYCLOAK["image"].startswith("quay.io/keycloak/keycloak:")
    command = command_of(KEYCLOAK)
    assert command[0] in ("start-dev", "start") and "--import-realm" in command
    assert "/health/ready" in str(KEYCLOAK["healthcheck"]["test"])


def test_realm_has_the_five_roles_and_signs_es256():
    data = realm()
    assert data["realm"] == "jointaid" and data["enabled"]
    assert {role["name"] for role in data["roles"]["realm"]} == set(ROLES)
    assert data["defaultSignatureAlgorithm"] == "ES256"
    keys = data["components"]["org.keycloak.keys.KeyProvider"]
    ecdsa = [key for key in keys if key["providerId"] == "ecdsa-generated"]
    assert ecdsa and ecdsa[0]["config"]["ecdsaEllipticCurveKey"] == ["P-256"], "ES256 = ECDSA on P-256"
    assert not [key for key in keys if key["providerId"].startswith("rsa")], "no RSA signing key in the JWKS"


def client(data: dict, client_id: str) -> dict:
    found = [c for c in data["clients"] if c["clientId"] == client_id]
    assert found, f"the realm has no client {client_id!r}"
    return found[0]


@pytest.mark.parametrize("client_id", ["jointaid", "jointaid-department"])
def test_clients_put_audience_and_roles_in_the_token(client_id):
    mappers = {m["protocolMapper"]: m["config"] for m in client(realm(), client_id)["protocolMappers"]}
    audience = mappers["oidc-audience-mapper"]
    assert audience["included.custom.audience"] == Settings(kafka_bootstrap_servers="", database_url="").token_audience
    assert audience["access.token.claim"] == "true"
    roles = mappers["oidc-usermodel-realm-role-mapper"]
    assert roles["claim.name"] in ("roles", "role") and roles["access.token.claim"] == "true"  # intake reads either


def test_department_systems_use_client_credentials():
    data = realm()
    department = client(data, "jointaid-department")
    assert department["serviceAccountsEnabled"] and not department["publicClient"]
    assert not department["standardFlowEnabled"] and not department["directAccessGrantsEnabled"]
    account = [u for u in data["users"] if u.get("serviceAccountClientId") == "jointaid-department"]
    assert account and account[0]["realmRoles"] == ["department"]
    people = {tuple(u["realmRoles"]) for u in data["users"] if "serviceAccountClientId" not in u}
    assert people == {(role,) for role in STAFF_ROLES}, "one demo user per staff role"
    for user in data["users"]:
        assert "citizen" not in user["realmRoles"], "citizen tokens are intake's own"


def test_intake_trusts_the_provider_and_keeps_its_key():
    env = env_of(CONTAINERS["intake"])
    settings = Settings.from_env(env)
    hostname = env_of(KEYCLOAK)["KC_HOSTNAME"].rstrip("/")
    issuer = f"{hostname}/realms/{realm()['realm']}"
    assert settings.oidc_issuer == issuer, "KC_HOSTNAME fixes the `iss` intake checks"
    assert settings.jwks_url == f"{issuer}/protocol/openid-connect/certs"
    assert urlsplit(settings.jwks_url).hostname in CONTAINERS
    assert settings.keys_dir
    volumes = [v for v in CONTAINERS["intake"].get("volumes", []) if v.split(":")[1] == settings.keys_dir]
    assert volumes and volumes[0].split(":")[0] in (COMPOSE.get("volumes") or {}), "the key pair is on a named volume"
    assert "install -d -o jointaid -g jointaid -m 0700 /keys" in (ROOT / "deploy" / "Dockerfile").read_text(), (
        "the image's /keys gives the new volume its owner (intake runs as jointaid)")
