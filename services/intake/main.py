import asyncio
import contextlib
from pathlib import Path

import uvicorn

from services.intake.api import create_app
from services.intake.status_view import HANDLERS
from services.kit.runner import ServiceContext, ServiceSpec
from services.kit.settings import Settings


async def serve_http(ctx: ServiceContext) -> None:
    config = uvicorn.Config(create_app(ctx), host=ctx.settings.http_host, port=ctx.settings.http_port,
                            log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # the runner owns SIGTERM
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.shield(serving)
    except asyncio.CancelledError:
        server.should_exit = True  # finish in-flight requests, then close the socket
        await serving
        raise


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="intake",
        migrations=(Path(__file__).parent / "migrations",),
        handlers=HANDLERS,
        background=(serve_http,),
    )
