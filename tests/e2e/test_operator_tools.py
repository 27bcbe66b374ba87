"""Poison messages go to aid.dlq and the partition keeps flowing; dlq list/replay; redrive is safe."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import asyncpg
from aiokafka import AIOKafkaProducer

from jointaid.embedded import broker_address, running_url
from jointaid import registry
from tests.conftest import EXAMPLES
from tests.e2e.conftest import ROOT


def cli(system, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jointaid.cli", *args, "--data-dir", str(system.data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def dead_letters(system) -> list[str]:
    result = cli(system, "dlq", "list")
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if "aid.decision.made" in line and "poison" not in line]


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def test_poison_message_is_dead_lettered_and_the_partition_keeps_flowing(system):
    before = len(dead_letters(system))
    key = b"00000000-0000-0000-0000-00000000beef"  # same partition, whatever the count, for every poison copy
    asyncio.run(publish_raw(broker_address(system.data_dir), "aid.decision.made", b'{"not": "an envelope"}', key))
    consumers = set(registry.consumers()["aid.decision.made.v1"])  # every service that reads the topic
    deadline = time.monotonic() + 30
    while len(dead_letters(system)) < before + len(consumers) and time.monotonic() < deadline:
        time.sleep(0.5)
    rows = dead_letters(system)[before:]
    assert {row.split()[2] for row in rows} == consumers  # every consumer of the topic dead-lettered it once
    listing = cli(system, "dlq", "list").stdout
    assert "invalid event" in listing

    system.wait_applicant_free(EXAMPLES["B"]["applicant_id_number"])
    view = system.wait_status(system.submit(EXAMPLES["B"]), "notified")  # the topic still flows
    assert view["payment"]["total_fen"] == 1_000_000

    replayed = cli(system, "dlq", "replay", rows[0].split()[0])
    assert replayed.returncode == 0 and "replayed" in replayed.stdout
    deadline = time.monotonic() + 30  # still invalid: each consumer dead-letters the replayed copy again
    while len(dead_letters(system)) < before + 2 * len(consumers) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(dead_letters(system)) == before + 2 * len(consumers)


def test_redrive_publishes_again_and_changes_nothing(system):
    system.wait_applicant_free(EXAMPLES["C"]["applicant_id_number"])
    application_id = system.submit(EXAMPLES["C"])
    system.wait_status(application_id, "notified")
    url = running_url(system.data_dir / "pg")

    async def counts():
        conn = await asyncpg.connect(url)
        try:
            return (await conn.fetchval("SELECT count(*) FROM disbursement.payments WHERE application_id = $1::uuid", application_id),
                    await conn.fetchval("SELECT count(*) FROM notification.messages WHERE application_id = $1::uuid", application_id),
                    await conn.fetchval("SELECT count(*) FROM intake.decisions WHERE application_id = $1::uuid", application_id),
                    await conn.fetchval("SELECT count(*) FROM disbursement.outbox WHERE application_id = $1::uuid", application_id))
        finally:
            await conn.close()

    async def unpublished():
        conn = await asyncpg.connect(url)
        try:
            return sum([await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox WHERE application_id = $1::uuid"
                                            f" AND id IN (SELECT id FROM {schema}.outbox_pending)", application_id)
                        for schema in ("intake", "verification", "civil_affairs", "medical_insurance", "red_cross",
                                       "disbursement", "notification")])
        finally:
            await conn.close()

    before = asyncio.run(counts())
    result = cli(system, "redrive", application_id)
    assert result.returncode == 0
    assert "11 event(s)" in result.stdout  # submitted, registry query and answer, verified, 5 decisions, payment, notification
    deadline = time.monotonic() + 20
    while asyncio.run(unpublished()) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert asyncio.run(unpublished()) == 0
    time.sleep(1.0)  # every consumer has had the copies
    assert asyncio.run(counts()) == before
    assert system.wait_status(application_id, "notified")["payment"]["total_fen"] == 1_050_250
