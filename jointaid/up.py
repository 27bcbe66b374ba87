"""`jointaid up`: the whole system on one machine, embedded parts unless configured."""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import httpx

from jointaid.credentials import keys_dir
from jointaid.embedded import BROKER_FILE, EmbeddedBroker, EmbeddedPostgres
from jointaid.prepare import prepare, redrive
from jointaid.topics import ensure_topics
from jointaid.replicas import partition_counts, process_names, too_few_partitions
from jointaid.supervisor import Supervisor
from services.intake.tokens import ensure_keys
from services.kit.kafka_security import security
from services.kit.runner import configure_logging
from services.kit.settings import Settings

log = logging.getLogger("jointaid.up")


# Tansu's cost grows with the partitions each fetch names: idle, 6 per topic kept 23% of a core busy polling, 1
# kept 7% (see README, "The kit's cost"). One machine's broker gains nothing from more partitions than replicas.
EMBEDDED_PARTITIONS = 2
# With the broker gone a graceful stop has little to finish (no publish or offset commit can succeed) and its
# clients would retry until killed: nothing is lost by a kill, the outbox and the redrive cover it.
BROKER_LOST_STOP_SECONDS = 5.0


def embedded_partitions(replicas: dict[str, int]) -> int:
    """Partitions per topic on the embedded broker: enough for the largest --replicas, at least 2."""
    return max(EMBEDDED_PARTITIONS, *replicas.values())


def up(args) -> int:
    configure_logging(os.environ.get("JOINTAID_LOG_LEVEL", "INFO"))
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # every service process writes its Prometheus values here; intake's /metrics aggregates them
    env = dict(os.environ, JOINTAID_HTTP_PORT=str(args.port), PROMETHEUS_MULTIPROC_DIR=str(fresh_dir(data_dir / "metrics")))
    if args.partitions:
        env["JOINTAID_PARTITIONS"] = str(args.partitions)
    if args.replicas["intake"] > 1:
        env["JOINTAID_HTTP_REUSE_PORT"] = "1"  # the replicas share the port
    env.setdefault("JOINTAID_KEYS_DIR", str(keys_dir(data_dir)))
    ensure_keys(env["JOINTAID_KEYS_DIR"])  # once, before any intake replica could race to make it
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    database = broker = supervisor = None
    try:
        if not env.get("DATABASE_URL"):
            database = EmbeddedPostgres(data_dir / "pg").start()
            env["DATABASE_URL"] = database.url
        if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            broker = EmbeddedBroker(log_path=data_dir / "broker.log").start()
            env.setdefault("JOINTAID_PARTITIONS", str(embedded_partitions(args.replicas)))
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
            (data_dir / "run").mkdir(exist_ok=True)
            (data_dir / BROKER_FILE).write_text(broker.bootstrap + "\n")
        settings = Settings.from_env(env)
        asyncio.run(prepare(settings, redrive_unfinished=broker is not None))
        if max(args.replicas.values()) > 1 and (refused := asyncio.run(replicas_refused(args.replicas, settings))):
            print("jointaid: cannot start the replicas asked for:\n  " + "\n  ".join(refused), file=sys.stderr, flush=True)
            return 2
        supervisor = Supervisor(process_names(args.replicas), env, data_dir / "run", data_dir / "logs")
        supervisor.start_all()
        base = f"http://127.0.0.1:{args.port}"
        print_where(base, data_dir, settings, database is not None, broker is not None)
        if args.demo:
            threading.Thread(target=_demo, args=(base, stop, data_dir), daemon=True).start()
        while not stop.wait(0.5):
            supervisor.restart_dead()
            if broker and broker.process.poll() is not None:
                # Every service stops before the new broker is up. A consumer that outlived the old broker keeps its
                # positions: on the new, empty log it would skip the first records published again, and could commit
                # those positions for its group, so that even its restarted self skipped them.
                supervisor.stop_all(timeout=BROKER_LOST_STOP_SECONDS)
                restart_broker(broker, settings)
                supervisor.start_all()  # fresh clients, no committed offsets: each group reads the new log from its start
    finally:
        print("jointaid: stopping", flush=True)
        if supervisor:
            supervisor.stop_all()
        if broker:
            broker.stop()
            (data_dir / BROKER_FILE).unlink(missing_ok=True)
        if database:
            database.stop()
        print("jointaid: stopped", flush=True)
    return 0


async def replicas_refused(counts: dict[str, int], settings: Settings) -> list[str]:
    return too_few_partitions(counts, await partition_counts(settings.kafka_bootstrap_servers, security(settings)))


def fresh_dir(path: Path) -> Path:
    """An empty folder at path (the last run's metric files are gone)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def restart_broker(broker: EmbeddedBroker, settings: Settings) -> None:
    """The embedded broker died and forgot everything: same port, topics again, unfinished work again."""
    log.warning("embedded broker exited (%s); restarting it on %s", broker.process.returncode, broker.bootstrap)
    broker.start()
    count = asyncio.run(reprovision(settings))
    log.warning("embedded broker back; %d outbox events of unfinished applications queued again", count)


async def reprovision(settings: Settings) -> int:
    await ensure_topics(settings.kafka_bootstrap_servers, settings.partitions, security=security(settings))
    return await redrive(settings.database_url, None)


def print_where(base: str, data_dir: Path, settings: Settings, own_db: bool, own_broker: bool) -> None:
    print(f"jointaid: HTTP API      {base}  (docs {base}/docs)", flush=True)
    print(f"jointaid: broker        {settings.kafka_bootstrap_servers}{' (embedded Tansu)' if own_broker else ''}")
    print(f"jointaid: database      {'embedded PostgreSQL, data in ' + str(data_dir / 'pg') if own_db else 'DATABASE_URL'}")
    print(f"jointaid: logs          {data_dir / 'logs'}/<service>.log")
    print(f"jointaid: pid files     {data_dir / 'run'}/<service>.pid")
    print(f"jointaid: tokens        jointaid token --role operator --subject NAME --data-dir {data_dir}")
    print("jointaid: Ctrl-C stops everything", flush=True)


def _demo(base: str, stop: threading.Event, data_dir) -> None:
    from jointaid.credentials import staff_token
    from jointaid.demo import run_demo

    try:
        wait_ready(base, stop)
        run_demo(base, approver_token=staff_token(data_dir, "approver", "demo-approver"))
    except Exception as exc:  # the demo is a show, not the system: report and keep serving
        log.error("demo failed: %s", exc)


def wait_ready(base: str, stop: threading.Event, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the HTTP API did not become ready")
