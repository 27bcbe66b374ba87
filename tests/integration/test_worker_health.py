"""A worker's JOINTAID_METRICS_PORT answers the probes deploy/k8s uses (/healthz, /readyz) and still serves its
metrics, against the real broker and database: ready while both answer, 503 once either is gone."""
from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from jointaid.embedded import free_port
from services.kit import health
from services.kit.broker import make_broker
from services.kit.db import create_pool
from services.kit.runner import ServiceContext

from tests.integration.conftest import running


@contextlib.asynccontextmanager
async def probed(ctx: ServiceContext):
    """The health server of `ctx` on a free port, and a client pointed at it; stopped at the end."""
    port = free_port()
    serving = await health.start(ctx, port, host="127.0.0.1")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
    with pytest.raises(httpx.ConnectError):  # the socket is closed with the server
        async with httpx.AsyncClient(timeout=2) as client:
            await client.get(f"http://127.0.0.1:{port}/healthz")


async def test_a_running_worker_is_alive_ready_and_serves_its_metrics(settings):
    async with running("notification", settings) as ctx, probed(ctx) as client:
        alive = await client.get("/healthz")
        assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        for path in ("/metrics", "/"):  # every other path is the exporter, as before
            scraped = await client.get(path)
            assert scraped.status_code == 200, path
            assert scraped.headers["content-type"].startswith("text/plain")
            assert 'jointaid_events_processed_total{outcome="handled",service="notification"}' in scraped.text


async def test_a_worker_without_its_broker_or_database_is_alive_but_not_ready(settings):
    pool = await create_pool(settings.database_url, "public", min_size=1, max_size=1)
    broker = make_broker(settings, "health-probe")  # built, never connected
    ctx = ServiceContext("health_probe", settings, broker, pool=pool)
    try:
        async with probed(ctx) as client:
            refused = await client.get("/readyz")
            assert refused.status_code == 503
            assert refused.json() == {"status": "not ready", "error": "broker unreachable"}

            await broker.start()  # the broker answers now: ready
            assert (await client.get("/readyz")).status_code == 200

            await pool.close()  # and the database stops answering
            refused = await client.get("/readyz")
            assert refused.status_code == 503 and refused.json()["status"] == "not ready"
            assert refused.json()["error"] and "postgres" not in refused.text.lower()  # a class name, no URL
            assert (await client.get("/healthz")).status_code == 200  # alive all along
    finally:
        await broker.stop()
        await pool.close()
