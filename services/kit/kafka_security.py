"""How a process authenticates to Kafka, built once from Settings for FastStream and for raw aiokafka clients.

FastStream's own mapping (faststream.kafka.security.parse_security) turns the security object into
aiokafka's keyword arguments, so the broker and the admin/DLQ clients cannot drift apart.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from aiokafka.helpers import create_ssl_context
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from services.kit.settings import Settings, kafka_auth

_MECHANISMS = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


def security(settings: Settings) -> BaseSecurity | None:
    """None for PLAINTEXT (the embedded broker); otherwise the SASL mechanism with this principal's credentials."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    use_ssl = settings.kafka_security_protocol == "SASL_SSL"
    # aiokafka requires a context for SASL_SSL; cafile None = the system's trusted CAs
    ssl_context = create_ssl_context(cafile=settings.kafka_ssl_cafile) if use_ssl else None
    mechanism = _MECHANISMS[settings.kafka_sasl_mechanism]
    return mechanism(username=settings.kafka_sasl_username, password=settings.kafka_sasl_password,
                     ssl_context=ssl_context, use_ssl=use_ssl)


def client_options(value: Settings | BaseSecurity | None) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer/Consumer/AdminClient ({} for PLAINTEXT)."""
    return parse_security(security(value) if isinstance(value, Settings) else value)


def security_from_env(env: Mapping[str, str] | None = None) -> BaseSecurity | None:
    """For operator tools that know only the broker address (`jointaid dlq`): the same variables as the services."""
    fields = kafka_auth(os.environ if env is None else env)
    return security(Settings(kafka_bootstrap_servers="", database_url="", **fields))  # only the Kafka fields are read
