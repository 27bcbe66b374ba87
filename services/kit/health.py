"""A worker's HTTP port (JOINTAID_METRICS_PORT): /healthz, /readyz, and its Prometheus metrics on every other path.

Intake has its own /healthz and /readyz (services/intake/api.py); the workers serve no other HTTP. This runs on
the service's event loop (uvicorn, as intake does), so readiness asks the service's own pool and broker:
- `GET /healthz`: 200 while the process runs and its loop turns (a liveness probe);
- `GET /readyz`: 200 when the pool runs `SELECT 1` and the broker answers (FastStream's `ping`, a describe-cluster
  round trip), else 503 with the reason (an exception's class name only: never data);
- anything else: this process's metrics registry (services.kit.metrics.REGISTRY), as prometheus_client's
  exporter served it before (any path).
"""
from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING

import uvicorn
from prometheus_client import make_asgi_app
from starlette.responses import JSONResponse

from services.kit import metrics

if TYPE_CHECKING:
    from services.kit.context import ServiceContext

READY_TIMEOUT = 2.0  # seconds per check; a probe's timeoutSeconds must allow both (deploy/k8s: 5)


async def not_ready(ctx: "ServiceContext") -> str | None:
    """None when the service's database and broker answer, else why not."""
    try:
        async with ctx.pool.acquire(timeout=READY_TIMEOUT) as conn:
            await conn.fetchval("SELECT 1", timeout=READY_TIMEOUT)
        if not await ctx.broker.ping(timeout=READY_TIMEOUT):
            return "broker unreachable"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure
        return type(exc).__name__
    return None


def create_app(ctx: "ServiceContext"):
    """The ASGI app: the two probes, the metrics everywhere else."""
    exporter = make_asgi_app(registry=metrics.REGISTRY)

    async def app(scope, receive, send) -> None:
        path = scope.get("path") if scope["type"] == "http" else None
        if path == "/healthz":
            response = JSONResponse({"status": "ok"})
        elif path == "/readyz":
            error = await not_ready(ctx)
            response = (JSONResponse({"status": "ready"}) if error is None else
                        JSONResponse({"status": "not ready", "error": error}, status_code=503))
        else:
            await exporter(scope, receive, send)
            return
        await response(scope, receive, send)

    return app


async def start(ctx: "ServiceContext", port: int, host: str = "0.0.0.0") -> asyncio.Task:
    """Bind now (a taken port fails here, as prometheus_client's exporter did) and serve in a task."""
    sock = socket.create_server((host, port))
    return asyncio.create_task(serve_asgi(create_app(ctx), sockets=[sock]), name="health")


async def serve_asgi(app, *, sockets: list[socket.socket] | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve `app` with uvicorn until cancelled; on cancel, finish the requests under way, then close the
    sockets. The runner owns SIGTERM, so uvicorn's own signal handling stays off."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off", ws="none")
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext
    serving = asyncio.create_task(server.serve(sockets=sockets))
    try:
        await asyncio.shield(serving)
    except asyncio.CancelledError:
        server.should_exit = True
        await serving
        raise
    finally:
        for sock in sockets or ():
            sock.close()
