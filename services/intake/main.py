import socket
from pathlib import Path

from services.intake import appeals, referrals
from services.intake.api import create_app
from services.intake.status_view import HANDLERS
from services.kit.health import serve_asgi
from services.kit.runner import ServiceContext, ServiceSpec
from services.kit.settings import Settings


async def serve_http(ctx: ServiceContext) -> None:
    sockets = [listening_socket(ctx.settings)] if ctx.settings.http_reuse_port else None
    await serve_asgi(create_app(ctx), sockets=sockets, host=ctx.settings.http_host, port=ctx.settings.http_port)


def listening_socket(settings: Settings) -> socket.socket:
    """A socket several intake replicas bind at once; the kernel spreads connections over them."""
    sock = socket.socket(socket.AF_INET6 if ":" in settings.http_host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((settings.http_host, settings.http_port))
    return sock


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="intake",
        migrations=(Path(__file__).parent / "migrations",),
        handlers={**HANDLERS, **referrals.HANDLERS, **appeals.HANDLERS},
        background=(serve_http,),
    )
