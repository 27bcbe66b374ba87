"""Settings from the environment. Names here are what compose.yaml and `jointaid up` set."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from contracts.events import ReferralService

SERVICES = (
    "intake",
    "verification",
    "registries",
    "civil_affairs",
    "medical_insurance",
    "red_cross",
    "disbursement",
    "notification",
    "caseload",
    "referrals",
    "discovery",
)

# Every variable a service reads, with what it is for (compose.yaml must set the required ones).
ENV_VARS = {
    "KAFKA_BOOTSTRAP_SERVERS": "Kafka bootstrap servers (required for `jointaid run`)",
    "DATABASE_URL": "PostgreSQL URL (required for `jointaid run`)",
    "JOINTAID_ENABLE_IDEMPOTENCE": "1 to turn on the idempotent producer (Apache Kafka); Tansu refuses it",
    "JOINTAID_LOOP": "a service's event loop: uvloop (default) or asyncio (the standard library's)",
    "JOINTAID_FETCH_WAIT_MS": "how long a busy consumer's fetch may wait at the broker for records (default 250; 10-5000): longer waits make bigger batches and less CPU per event; a quiet consumer waits 100 at most (services/kit/fetch_wait.py)",
    "JOINTAID_PARTITIONS": "partitions per topic when topics are created (default 6; `jointaid up` on its embedded broker: 2, or the largest --replicas)",
    "JOINTAID_POLICY": "the policy: a file (one version) or a directory (every *.toml a version; default policies/)",
    "JOINTAID_HTTP_HOST": "intake's listen address (default 127.0.0.1)",
    "JOINTAID_HTTP_PORT": "intake's port (default 8000)",
    "JOINTAID_HTTP_REUSE_PORT": "1: bind intake's port with SO_REUSEPORT, so several intake replicas share it (`up --replicas`)",
    "JOINTAID_DEADLINE_SECONDS": "time allowed for all department answers (default 86400)",
    "JOINTAID_RAIL_ATTEMPTS": "settlement attempts before a payment is escalated (default 5)",
    "JOINTAID_RAIL_BACKOFF_SECONDS": "first retry delay of a failed settlement, doubling (default 2)",
    "JOINTAID_RAIL_FAIL_ACCOUNTS": "comma-separated account numbers the in-process rail refuses (drills, tests)",
    "JOINTAID_PROVIDER_REFUSE": "comma-separated services the simulated providers have no capacity for, so refuse (drills, tests)",
    "JOINTAID_REFERRAL_WAIT_SECONDS": "how long the notice waits for providers' answers to the referrals made (default 30)",
    "JOINTAID_LOG_LEVEL": "log level (default INFO)",
    "JOINTAID_LANGUAGE": "notification's language (zh or en) for events that carry none (default zh)",
    "JOINTAID_NOTIFY_WEBHOOK_URL": "deliver each notification by POST to this URL (default: stored only)",
    "JOINTAID_NOTIFY_WEBHOOK_ATTEMPTS": "webhook attempts per delivery before the handler fails (default 5)",
    "JOINTAID_NOTIFY_WEBHOOK_BACKOFF": "seconds before the first webhook retry, doubling each time (default 0.5)",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "export spans by OTLP when set",
    "OTEL_TRACES_SAMPLER": "the OpenTelemetry SDK's sampler, e.g. parentbased_traceidratio (default: every trace; "
                           "a production setting, never how the benchmark's figures are reached)",
    "OTEL_TRACES_SAMPLER_ARG": "the sampler's argument, e.g. 0.1",
    "JOINTAID_METRICS_PORT": "serve this process's Prometheus metrics, /healthz and /readyz on this port (compose's and k8s's workers; default: none)",
    "JOINTAID_KEYS_DIR": "intake's token key pair (created once, 0600); `jointaid up` uses <data-dir>/keys",
    "JOINTAID_JWKS_URL": "staff tokens are also verified against this OIDC provider's JWKS (default: embedded key only)",
    "JOINTAID_OIDC_ISSUER": "the `iss` that tokens from JOINTAID_JWKS_URL must carry (default: not checked)",
    "JOINTAID_TOKEN_AUDIENCE": "the `aud` every token must carry (default jointaid)",
    "JOINTAID_SUBMIT_LIMIT_ADDRESS": "anonymous submissions per client address, N/second|minute|hour|day (default 30/minute)",
    "JOINTAID_SUBMIT_LIMIT_APPLICANT": "anonymous submissions per applicant ID number (default 5/hour)",
    # Broker authentication: compose's Apache Kafka wants SCRAM, one principal per service; the embedded
    # Tansu listens on 127.0.0.1 only and takes PLAINTEXT (the default, so nothing changes there).
    "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT (default), SASL_PLAINTEXT or SASL_SSL",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512 (default), SCRAM-SHA-256 or PLAIN",
    "KAFKA_SASL_USERNAME": "this process's Kafka principal (required with SASL_*)",
    "KAFKA_SASL_PASSWORD": "its password (or KAFKA_SASL_PASSWORD_FILE; never logged)",
    "KAFKA_SASL_PASSWORD_FILE": "a file holding the password, e.g. a compose secret in /run/secrets",
    "KAFKA_SSL_CAFILE": "CA bundle that signed the broker's certificate, for SASL_SSL (default: system CAs)",
}
REQUIRED_ENV = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")



def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")


RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_limit(raw: str, name: str) -> tuple[int, int]:
    """'30/minute' -> (30, 60): at most N requests per window of that many seconds."""
    count, _, unit = raw.strip().partition("/")
    if not count.strip().isdigit() or int(count) < 1 or unit.strip() not in RATE_UNITS:
        raise SystemExit(f"{name} must look like 30/minute (N/second|minute|hour|day), not {raw!r}")
    return int(count), RATE_UNITS[unit.strip()]


def _language(env: Mapping[str, str]) -> str:
    raw = (env.get("JOINTAID_LANGUAGE") or "zh").strip().lower()
    if raw not in ("zh", "en"):
        raise SystemExit(f"JOINTAID_LANGUAGE must be zh or en, not {raw!r}")
    return raw


LOOPS = ("uvloop", "asyncio")
FETCH_WAIT_MS = (10, 5000)


def _fetch_wait_ms(env: Mapping[str, str]) -> int:
    raw = env.get("JOINTAID_FETCH_WAIT_MS") or "250"  # empty: the default, as unset
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not FETCH_WAIT_MS[0] <= value <= FETCH_WAIT_MS[1]:
        raise SystemExit(f"JOINTAID_FETCH_WAIT_MS={raw!r}: expected whole milliseconds from {FETCH_WAIT_MS[0]} to {FETCH_WAIT_MS[1]}")
    return value


def _loop(env: Mapping[str, str]) -> str:
    loop = env.get("JOINTAID_LOOP", "uvloop")
    if loop not in LOOPS:
        raise SystemExit(f"JOINTAID_LOOP={loop!r}: expected one of {', '.join(LOOPS)}")
    return loop


def _services(raw: str) -> frozenset[str]:
    named = frozenset(s.strip() for s in raw.split(",") if s.strip())
    unknown = sorted(named - {s.value for s in ReferralService})
    if unknown:
        raise SystemExit(f"JOINTAID_PROVIDER_REFUSE names unknown services: {', '.join(unknown)}")
    return named


KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


def kafka_auth(env: Mapping[str, str]) -> dict[str, Any]:
    """The KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* settings as Settings fields (also for tools that only
    talk to Kafka). Errors name the variable, never the password."""
    protocol = (env.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT").strip().upper()
    mechanism = (env.get("KAFKA_SASL_MECHANISM") or "SCRAM-SHA-512").strip().upper()
    username = env.get("KAFKA_SASL_USERNAME") or None
    password, password_file = env.get("KAFKA_SASL_PASSWORD") or None, env.get("KAFKA_SASL_PASSWORD_FILE") or None
    if protocol not in KAFKA_SECURITY_PROTOCOLS:
        raise SystemExit(f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(KAFKA_SECURITY_PROTOCOLS)}, not {protocol!r}")
    if mechanism not in KAFKA_SASL_MECHANISMS:
        raise SystemExit(f"KAFKA_SASL_MECHANISM must be one of {', '.join(KAFKA_SASL_MECHANISMS)}, not {mechanism!r}")
    if password and password_file:
        raise SystemExit("set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both")
    if password_file:
        try:
            password = Path(password_file).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise SystemExit(f"KAFKA_SASL_PASSWORD_FILE: cannot read {password_file}: {exc.strerror}") from None
    if protocol == "PLAINTEXT":
        # credentials with no SASL would be silently unused: the process would connect as nobody
        if username or password:
            raise SystemExit("KAFKA_SASL_USERNAME/PASSWORD are set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT")
    elif not (username and password):
        raise SystemExit(f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_USERNAME and a password")
    return {"kafka_security_protocol": protocol, "kafka_sasl_mechanism": mechanism, "kafka_sasl_username": username,
            "kafka_sasl_password": password, "kafka_ssl_cafile": env.get("KAFKA_SSL_CAFILE") or None}


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap_servers: str
    database_url: str
    enable_idempotence: bool = False
    partitions: int = 6
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    http_reuse_port: bool = False
    deadline_seconds: float = 86_400.0
    rail_attempts: int = 5
    rail_backoff_seconds: float = 2.0
    rail_failing_accounts: frozenset[str] = frozenset()
    provider_refused_services: frozenset[str] = frozenset()
    referral_wait_seconds: float = 30.0
    log_level: str = "INFO"
    loop: str = "uvloop"  # a service's event loop (LOOPS)
    fetch_wait_ms: int = 250  # a busy consumer's fetch wait at the broker (services/kit/fetch_wait.py)
    otlp_endpoint: str | None = None
    language: str = "zh"
    notify_webhook_url: str | None = None
    notify_webhook_attempts: int = 5
    notify_webhook_backoff: float = 0.5
    metrics_port: int | None = None
    keys_dir: str | None = None
    jwks_url: str | None = None
    oidc_issuer: str | None = None
    token_audience: str = "jointaid"
    submit_limit_address: tuple[int, int] = (30, 60)
    submit_limit_applicant: tuple[int, int] = (5, 3600)
    # Broker authentication (see kafka_auth); the password stays out of repr, hence out of logs.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = field(default=None, repr=False)
    kafka_ssl_cafile: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        missing = [name for name in REQUIRED_ENV if not env.get(name)]
        if missing:
            raise SystemExit(f"missing setting(s): {', '.join(missing)} (see README: Settings)")
        return cls(
            kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
            database_url=env["DATABASE_URL"],
            enable_idempotence=_flag(env, "JOINTAID_ENABLE_IDEMPOTENCE"),
            partitions=int(env.get("JOINTAID_PARTITIONS", "6")),
            http_host=env.get("JOINTAID_HTTP_HOST", "127.0.0.1"),
            http_port=int(env.get("JOINTAID_HTTP_PORT", "8000")),
            http_reuse_port=_flag(env, "JOINTAID_HTTP_REUSE_PORT"),
            deadline_seconds=float(env.get("JOINTAID_DEADLINE_SECONDS", "86400")),
            rail_attempts=int(env.get("JOINTAID_RAIL_ATTEMPTS", "5")),
            rail_backoff_seconds=float(env.get("JOINTAID_RAIL_BACKOFF_SECONDS", "2")),
            rail_failing_accounts=frozenset(a.strip() for a in env.get("JOINTAID_RAIL_FAIL_ACCOUNTS", "").split(",") if a.strip()),
            provider_refused_services=_services(env.get("JOINTAID_PROVIDER_REFUSE", "")),
            referral_wait_seconds=float(env.get("JOINTAID_REFERRAL_WAIT_SECONDS", "30")),
            log_level=env.get("JOINTAID_LOG_LEVEL", "INFO"),
            loop=_loop(env),
            fetch_wait_ms=_fetch_wait_ms(env),
            otlp_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
            language=_language(env),
            notify_webhook_url=env.get("JOINTAID_NOTIFY_WEBHOOK_URL") or None,
            notify_webhook_attempts=int(env.get("JOINTAID_NOTIFY_WEBHOOK_ATTEMPTS", "5")),
            notify_webhook_backoff=float(env.get("JOINTAID_NOTIFY_WEBHOOK_BACKOFF", "0.5")),
            metrics_port=int(env["JOINTAID_METRICS_PORT"]) if env.get("JOINTAID_METRICS_PORT") else None,
            keys_dir=env.get("JOINTAID_KEYS_DIR") or None,
            jwks_url=env.get("JOINTAID_JWKS_URL") or None,
            oidc_issuer=env.get("JOINTAID_OIDC_ISSUER") or None,
            token_audience=env.get("JOINTAID_TOKEN_AUDIENCE") or "jointaid",
            submit_limit_address=rate_limit(env.get("JOINTAID_SUBMIT_LIMIT_ADDRESS", "30/minute"), "JOINTAID_SUBMIT_LIMIT_ADDRESS"),
            submit_limit_applicant=rate_limit(env.get("JOINTAID_SUBMIT_LIMIT_APPLICANT", "5/hour"), "JOINTAID_SUBMIT_LIMIT_APPLICANT"),
            **kafka_auth(env),
        )
