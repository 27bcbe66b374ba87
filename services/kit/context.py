"""What a running service hands its consumer, relay, workers and probes: its name, settings, connections and wakes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import asyncpg

from services.kit.outbox import Relay
from services.kit.settings import Settings


@dataclass
class ServiceContext:
    name: str
    settings: Settings
    broker: object
    pool: asyncpg.Pool | None = None
    relay: Relay | None = None
    group_id: str = ""
    after_commit: tuple[Callable[[], None], ...] = ()  # woken after each committed batch (relays, workers)
    wake_on: Mapping[str, Callable[[], None]] = field(default_factory=dict)  # ... after a batch that handled this type
