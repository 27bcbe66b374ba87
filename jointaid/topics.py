"""Create the contract's topics at start-up, with a configurable partition count."""
from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.security import BaseSecurity

from contracts.topics import ALL_TOPICS
from services.kit.kafka_security import client_options

log = logging.getLogger(__name__)


async def ensure_topics(bootstrap: str, partitions: int, attempts: int = 20, *,
                        security: BaseSecurity | None = None) -> list[str]:
    """Create the missing topics; return the names created. `security`: the admin principal's (compose)."""
    for attempt in range(1, attempts + 1):
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jointaid-admin", **client_options(security))
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in ALL_TOPICS if t not in existing]
            if missing:
                await admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing])
            return missing
        except Exception as exc:  # broker still starting
            if attempt == attempts:
                raise
            log.debug("topics: %s; retrying", exc)
            await asyncio.sleep(0.25)
        finally:
            await admin.close()
    return []
