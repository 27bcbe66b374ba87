"""`jointaid run` puts a service on uvloop unless JOINTAID_LOOP asks for asyncio's own loop; any other value is refused."""
from __future__ import annotations

import asyncio

import pytest

from jointaid.cli import run_loop, run_service


async def loop_class() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_runs_the_service_by_default_and_asyncio_on_request():
    import uvloop

    found = []

    async def probe():
        found.append(await loop_class())

    run_loop(probe(), "uvloop")
    run_loop(probe(), "asyncio")
    assert found[0].startswith("uvloop") and isinstance(uvloop.Loop, type)
    assert found[1].startswith("asyncio")


def test_an_unknown_loop_is_refused_naming_the_setting(monkeypatch):
    monkeypatch.setenv("JOINTAID_LOOP", "trio")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nowhere/none")
    with pytest.raises(SystemExit, match="JOINTAID_LOOP='trio': expected one of uvloop, asyncio"):
        run_service("registries")
