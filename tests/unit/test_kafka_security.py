"""Kafka authentication settings: SASL variables build FastStream's security object and aiokafka's options.

No broker is needed: the objects are built and inspected, never connected.
"""
from __future__ import annotations

import ssl

import pytest
from faststream.security import SASLPlaintext, SASLScram256, SASLScram512

from services.kit import kafka_security
from services.kit.broker import make_broker
from services.kit.settings import ENV_VARS, Settings

BASE = {"KAFKA_BOOTSTRAP_SERVERS": "kafka:9092", "DATABASE_URL": "postgresql://x@y/z"}
SASL = {**BASE, "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "intake", "KAFKA_SASL_PASSWORD": "s3cret-not-for-logs"}


def test_defaults_change_nothing_for_the_embedded_broker():
    settings = Settings.from_env(BASE)
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert kafka_security.security(settings) is None
    assert kafka_security.client_options(settings) == {}
    assert kafka_security.client_options(None) == {}


def test_sasl_variables_build_scram_512():
    settings = Settings.from_env(SASL)
    built = kafka_security.security(settings)
    assert isinstance(built, SASLScram512)
    assert (built.username, built.password, built.use_ssl) == ("intake", "s3cret-not-for-logs", False)
    assert kafka_security.client_options(settings) == {
        "security_protocol": "SASL_PLAINTEXT", "ssl_context": None, "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "intake", "sasl_plain_password": "s3cret-not-for-logs"}
    assert kafka_security.client_options(built) == kafka_security.client_options(settings)


@pytest.mark.parametrize(("mechanism", "kind"), [("SCRAM-SHA-256", SASLScram256), ("PLAIN", SASLPlaintext),
                                                  ("scram-sha-512", SASLScram512)])
def test_other_mechanisms(mechanism, kind):
    assert isinstance(kafka_security.security(Settings.from_env({**SASL, "KAFKA_SASL_MECHANISM": mechanism})), kind)


def test_sasl_ssl_has_a_tls_context():
    built = kafka_security.security(Settings.from_env({**SASL, "KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}))
    assert built.use_ssl and isinstance(built.ssl_context, ssl.SSLContext)
    assert kafka_security.client_options(built)["security_protocol"] == "SASL_SSL"


def test_password_from_a_file(tmp_path):
    secret = tmp_path / "kafka_intake"
    secret.write_text("from-a-file-123\n", encoding="utf-8")
    env = {**SASL, "KAFKA_SASL_PASSWORD_FILE": str(secret)}
    del env["KAFKA_SASL_PASSWORD"]
    assert Settings.from_env(env).kafka_sasl_password == "from-a-file-123"


@pytest.mark.parametrize(("change", "message"), [
    ({"KAFKA_SECURITY_PROTOCOL": "SSL"}, "KAFKA_SECURITY_PROTOCOL must be one of"),
    ({"KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM must be one of"),
    ({"KAFKA_SASL_PASSWORD": ""}, "needs KAFKA_SASL_USERNAME and a password"),
    ({"KAFKA_SASL_USERNAME": ""}, "needs KAFKA_SASL_USERNAME and a password"),
    ({"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}, "KAFKA_SECURITY_PROTOCOL is PLAINTEXT"),
    ({"KAFKA_SASL_PASSWORD_FILE": "/nonexistent/kafka_intake"}, "not both"),
])
def test_misconfigurations_stop_start_up_without_echoing_the_password(change, message):
    with pytest.raises(SystemExit) as stopped:
        Settings.from_env({**SASL, **change})
    assert message in str(stopped.value)
    assert "s3cret-not-for-logs" not in str(stopped.value)


def test_unreadable_password_file_names_the_file():
    env = {key: value for key, value in SASL.items() if key != "KAFKA_SASL_PASSWORD"}
    with pytest.raises(SystemExit, match="KAFKA_SASL_PASSWORD_FILE: cannot read /nonexistent"):
        Settings.from_env({**env, "KAFKA_SASL_PASSWORD_FILE": "/nonexistent/kafka_intake"})


def test_the_password_stays_out_of_the_settings_repr():
    assert "s3cret-not-for-logs" not in repr(Settings.from_env(SASL))


def test_tools_without_a_database_read_the_same_variables():
    assert isinstance(kafka_security.security_from_env(SASL), SASLScram512)
    assert kafka_security.security_from_env({}) is None


def test_the_service_broker_carries_the_security():
    broker = make_broker(Settings.from_env(SASL), "intake")  # built, never started
    assert isinstance(broker.specification.security, SASLScram512)
    assert broker.specification.security.username == "intake"
    # behind ACLs the services do not try to create topics (the admin does)
    assert broker.config.broker_config.allow_auto_create_topics is False
    assert make_broker(Settings.from_env(BASE), "intake").config.broker_config.allow_auto_create_topics is True


def test_every_variable_is_documented():
    for name in ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD",
                 "KAFKA_SASL_PASSWORD_FILE", "KAFKA_SSL_CAFILE"):
        assert name in ENV_VARS
