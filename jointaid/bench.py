"""`python -m jointaid.bench`: drive N applications through `jointaid up` and compare with the raw limit.

One run (DESIGN.md "Performance"):
1. start `jointaid up` on a temporary data dir (embedded Tansu and PostgreSQL) and wait for /readyz;
2. time a reference piece of Python work (this hour's speed of the machine: jointaid/machine_speed.py) and the
   idle system's CPU for --idle-seconds (its background);
3. submit N applications over HTTP (bounded concurrency, or paced at --rate per second), each with fresh,
   valid ID numbers;
4. wait until the database shows all of them notified;
5. report applications/s and submit→notified latency (both from the database clock) and the
   client-side HTTP submit latency; from PostgreSQL's own counters over the same phase,
   transactions, statements (pg_stat_statements, preloaded by the bench only: the data dir is
   initialised before `jointaid up` starts) and WAL bytes per application; spans per application;
6. measure, on the same broker and database, plain produce/consume of N×11 messages and N×11
   small PostgreSQL transactions (8 connections), and the system's rates as shares of them;
7. print a summary, stop the system with SIGTERM, remove the data dir (unless --keep).

No personal data is printed: only counts, statuses, timings and normalised statement texts ($1 for values).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from contracts.idnumber import check_digit
from jointaid.credentials import staff_token
from jointaid.second_approver import SUBJECT as SECOND_APPROVER, approve_waiting_async
from jointaid.embedded import EmbeddedPostgres, free_port
from jointaid.machine_speed import reference_ms
from jointaid.process_cpu import difference, tree_cpu

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = Path(__file__).resolve().parent / "examples" / "applications.json"
EVENTS_PER_APPLICATION = 11  # submitted, registry query + answer, verified, 5 decisions, payment, notification
PG_CONNECTIONS = 8
RAW_VALUE_BYTES = 400
BROKER_LINE = re.compile(r"jointaid: broker\s+(\S+:\d+) \(embedded Tansu\)")
STATS_ROLE = "jointaid_bench"  # the bench's own queries run as this role: pg_stat_statements tells them apart
APPROVER_ROUND_SECONDS = 1.0  # how often the bench's second person looks at the pending approvals
LATE_SECONDS = 11.0  # an idle backend adds its counts to pg_stat_database up to 10 s late (PGSTAT_IDLE_INTERVAL)
TX_ENDS = {"COMMIT", "ROLLBACK"}
TOP_STATEMENTS = int(os.environ.get("BENCH_TOP_STATEMENTS", "5"))  # more: to see where the statements go


# ---- the application generator (pure) ------------------------------------------------------

def _load_examples() -> list[dict]:
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    return [examples[key] for key in sorted(examples)]


def _fresh_id(original: str, serial: int) -> str:
    """A new valid ID number: same region, birth date moved back serial // 1000 days,
    sequence digits (15-17) = serial % 1000, correct GB 11643 check digit."""
    born = date(int(original[6:10]), int(original[10:12]), int(original[12:14]))
    born -= timedelta(days=serial // 1000)
    first17 = f"{original[:6]}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)


def _renumber(template: dict, serial: int) -> dict:
    """A deep copy of `template` with every ID number replaced consistently (member, applicant, bills)."""
    body = copy.deepcopy(template)
    mapping = {m["id_number"]: _fresh_id(m["id_number"], serial) for m in body["household"]["members"]}
    for member in body["household"]["members"]:
        member["id_number"] = mapping[member["id_number"]]
    body["applicant_id_number"] = mapping[body["applicant_id_number"]]
    for bill in body["needs"]["medical_bills"]:
        bill["member_id_number"] = mapping[bill["member_id_number"]]
    return body


def make_applications(n: int, seed: int = 0) -> list[dict]:
    """N request bodies: a seeded mix of the four worked examples, each with fresh ID numbers.

    Every ID number is distinct within and across the returned applications: member k of
    the i-th application of a shape gets serial i (sequence digits i % 1000, birth date moved
    back i // 1000 days); members of one household are born years apart and shapes A/D differ
    in region, so no two members share a number. Pure: same (n, seed), same list.
    """
    templates = _load_examples()
    rng = random.Random(seed)
    used = [0] * len(templates)
    bodies = []
    for _ in range(n):
        shape = rng.randrange(len(templates))
        bodies.append(_renumber(templates[shape], used[shape]))
        used[shape] += 1
    return bodies


# ---- starting and stopping `jointaid up` ---------------------------------------------------

@dataclass
class System:
    process: subprocess.Popen
    data_dir: Path
    base: str
    out: Path
    bootstrap: str = ""

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.data_dir / 'pg'}"

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far by process kind: `jointaid up`'s tree and the database it started (process_cpu)."""
        return tree_cpu(self.process.pid, str(self.data_dir))


def start_system(data_dir: Path) -> System:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    out = data_dir.parent / "up.out"
    print(f"bench: starting jointaid up (data dir {data_dir}, port {port}) ...", flush=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "jointaid.cli", "up", "--data-dir", str(data_dir), "--port", str(port)],
        cwd=ROOT, env=env, stdout=open(out, "wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    return System(process, data_dir, f"http://127.0.0.1:{port}", out)


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _find_bootstrap(system: System) -> str:
    found = BROKER_LINE.search(_tail(system.out, 1_000_000))
    return found.group(1) if found else ""


def wait_ready(system: System, timeout: float = 120) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if system.process.poll() is not None:
            raise RuntimeError(f"jointaid up exited with {system.process.returncode}:\n{_tail(system.out)}")
        system.bootstrap = system.bootstrap or _find_bootstrap(system)
        if system.bootstrap and _is_ready(system.base):
            print(f"bench: ready in {time.monotonic() - started:.1f} s (broker {system.bootstrap})", flush=True)
            return
        time.sleep(0.3)
    raise RuntimeError(f"jointaid up not ready in {timeout:.0f} s:\n{_tail(system.out)}")


def _is_ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def stop_system(system: System, timeout: float = 30) -> None:
    if system.process.poll() is not None:
        return
    print("bench: stopping jointaid up (SIGTERM) ...", flush=True)
    system.process.send_signal(signal.SIGTERM)
    try:
        system.process.wait(timeout)
    except subprocess.TimeoutExpired:
        print("bench: jointaid up did not stop in time; killing it", flush=True)
        system.process.kill()
        system.process.wait()


# ---- submitting ----------------------------------------------------------------------------

@dataclass
class Submitted:
    ids: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    failures: dict = field(default_factory=dict)  # HTTP status (or "no answer") -> count
    retries: dict[str, int] = field(default_factory=dict)  # transport error type -> retries
    seconds: float = 0.0


class _Progress:
    def __init__(self, what: str, total: int):
        self.what, self.total, self.done, self.next = what, total, 0, max(1, total // 10)
        self.started = time.monotonic()

    def tick(self) -> None:
        self.done += 1
        if self.done >= self.next or self.done == self.total:
            elapsed = time.monotonic() - self.started
            print(f"bench: {self.what} {self.done}/{self.total} ({elapsed:.1f} s)", flush=True)
            self.next += max(1, self.total // 10)


async def _submit_one(client: httpx.AsyncClient, body: dict, result: Submitted, attempts: int = 3) -> None:
    """POST one body; on a transport error retry with the same Idempotency-Key (the first answer wins)."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    started = time.perf_counter()
    for attempt in range(attempts):
        try:
            response = await client.post("/v1/applications", json=body, headers=headers)
            break
        except httpx.HTTPError as exc:
            result.retries[type(exc).__name__] = result.retries.get(type(exc).__name__, 0) + 1
            response = None
    result.latencies_ms.append((time.perf_counter() - started) * 1000)
    status = response.status_code if response is not None else "no answer"
    if status == 202:
        result.ids.append(response.json()["application_id"])
    else:
        result.failures[status] = result.failures.get(status, 0) + 1


async def submit_all(base: str, bodies: list[dict], concurrency: int, token: str, rate: float | None = None) -> Submitted:
    """As a batch client does: a caseworker's token, so the anonymous submission limits do not apply.
    rate: offered load, each submission started on its schedule (i / rate s after the first) whether or not
    earlier ones were answered (an open loop, as citizens arrive), still at most `concurrency` in flight;
    None: as fast as `concurrency` requests in flight allow (saturation)."""
    result, progress = Submitted(), _Progress("submitted", len(bodies))
    started = time.monotonic()
    # One client of one connection per request in flight, not one pool of `concurrency`: httpcore looks at every
    # pooled connection on each request (has_expired, a getpeername each), 38% of the load client's time with 32.
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=1),
                                 headers={"Authorization": f"Bearer {token}"}) for _ in range(concurrency)]
    try:
        await _paced(bodies, rate, clients, result, progress)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    result.seconds = time.monotonic() - started
    return result


async def _paced(bodies: list[dict], rate: float | None, clients: list[httpx.AsyncClient], result: Submitted,
                 progress: _Progress) -> None:
    """Each body once, at most one request per client in flight, the i-th not before i / rate s (rate None: no
    schedule)."""
    idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    for client in clients:
        idle.put_nowait(client)

    async def one(client: httpx.AsyncClient, body: dict) -> None:
        try:
            await _submit_one(client, body, result)
            progress.tick()
        finally:
            idle.put_nowait(client)

    tasks, first = [], time.monotonic()
    for i, body in enumerate(bodies):
        if rate is not None:
            while (early := first + i / rate - time.monotonic()) > 0:  # asyncio may run a timer up to its clock's resolution early
                await asyncio.sleep(early)
        client = await idle.get()  # behind schedule when the system cannot keep up: the achieved rate shows it
        tasks.append(asyncio.create_task(one(client, body)))
    await asyncio.gather(*tasks)


# ---- waiting and measuring from the database -----------------------------------------------

async def _status_counts(conn, ids: list[str]) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM intake.applications WHERE application_id = ANY($1::uuid[]) GROUP BY status",
        ids,
    )
    return {r["status"]: r["n"] for r in rows}


async def wait_notified(conn, ids: list[str], timeout: float) -> dict[str, int]:
    """Poll until every id is notified or the timeout passes; returns the last status counts."""
    started, reported = time.monotonic(), 0
    step = max(1, len(ids) // 10)
    while True:
        counts = await _status_counts(conn, ids)
        done = counts.get("notified", 0)
        if done >= reported + step or done == len(ids):
            print(f"bench: notified {done}/{len(ids)} ({time.monotonic() - started:.1f} s)", flush=True)
            reported = done
        if done == len(ids) or time.monotonic() - started > timeout:
            return counts
        await asyncio.sleep(0.25)


async def approver_desk(client: httpx.AsyncClient, every: float = APPROVER_ROUND_SECONDS) -> None:
    """The second person at work from the first submission on (shape D is above the approval threshold): a
    round of the pending approvals every `every` s until cancelled, so a held payment waits for the person,
    not for the end of the submissions."""
    while True:
        try:
            await approve_waiting_async(client)
        except httpx.HTTPError as exc:  # a slow or refused round: the next one tries again
            print(f"bench: approver round failed ({type(exc).__name__}); next in {every:g} s", flush=True)
        await asyncio.sleep(every)


async def system_figures(conn, ids: list[str]) -> dict:
    """Submit→notified percentiles of the applications paid straight through; those held for a second person
    (above the approval threshold) apart, since they measure the approver's round as much as the system."""
    rows = await conn.fetch(
        """SELECT extract(epoch FROM m.sent_at - a.submitted_at) * 1000 AS ms,
                  EXISTS (SELECT 1 FROM intake.approvals p WHERE p.application_id = a.application_id) AS held
           FROM intake.applications a JOIN notification.messages m USING (application_id)
           WHERE a.application_id = ANY($1::uuid[])""",
        ids,
    )
    span = await conn.fetchrow(
        """SELECT extract(epoch FROM max(updated_at) - min(submitted_at)) AS seconds
           FROM intake.applications WHERE application_id = ANY($1::uuid[]) AND status = 'notified'""",
        ids,
    )
    straight = [float(r["ms"]) for r in rows if not r["held"]]
    held = [float(r["ms"]) for r in rows if r["held"]]
    seconds = float(span["seconds"] or 0)
    return {"seconds": seconds, "rate": len(ids) / seconds if seconds else 0.0,
            "p50": percentile(straight, 50), "p99": percentile(straight, 99),
            "held": {"n": len(held), "p50": percentile(held, 50), "p99": percentile(held, 99)}}


# Each application's chain of spans from the publish of its notification (the citizen's message, sent in the
# transaction before it: the end of submit→notified as measured above) back to the submission, and on it the waits
# between a service publishing an event and the next one starting to process it (the broker hop: relay send, the
# broker, the consumer's fetch and queue). The rest of submit→notified is spent inside services.
PATH_GAPS = """
WITH RECURSIVE leaf AS (
    SELECT DISTINCT ON (s.trace_id) s.trace_id, s.span_id, s.parent_id, s.start_ts, s.end_ts, s.name
    FROM telemetry.spans s JOIN intake.applications a ON a.trace_id = s.trace_id
    WHERE a.application_id = ANY($1::uuid[]) AND a.status = 'notified' AND s.service = 'notification'
      AND s.name = 'aid.notification.sent publish'
      AND NOT EXISTS (SELECT 1 FROM intake.approvals p WHERE p.application_id = a.application_id)
    ORDER BY s.trace_id, s.start_ts),
walk AS (
    SELECT trace_id, span_id, parent_id, start_ts, end_ts, name, NULL::float8 AS gap_ms, 0 AS depth FROM leaf
    UNION ALL
    SELECT p.trace_id, p.span_id, p.parent_id, p.start_ts, p.end_ts, p.name,
           CASE WHEN p.name LIKE '% publish' AND w.name LIKE '% process'
                THEN extract(epoch FROM w.start_ts - p.end_ts) * 1000 END, w.depth + 1
    FROM walk w JOIN telemetry.spans p ON p.trace_id = w.trace_id AND p.span_id = w.parent_id
    WHERE w.depth < 200)
SELECT trace_id, gap_ms FROM walk WHERE gap_ms IS NOT NULL"""


async def path_gaps(conn, ids: list[str]) -> list[tuple[str, float]]:
    """(trace, ms) of every broker hop on the paid-straight-through applications' paths to their message."""
    return [(r["trace_id"], float(r["gap_ms"])) for r in await conn.fetch(PATH_GAPS, ids)]


def path_figures(gaps: list[tuple[str, float]]) -> dict:
    """Hops per application and the time spent in them (medians over applications), and each hop's p50 and p90."""
    per_trace: dict[str, list[float]] = {}
    for trace_id, ms in gaps:
        per_trace.setdefault(trace_id, []).append(ms)
    every = [ms for _, ms in gaps]
    return {"applications": len(per_trace),
            "hops": percentile([len(v) for v in per_trace.values()], 50),
            "waiting_p50": percentile([sum(v) for v in per_trace.values()], 50),
            "hop_p50": percentile(every, 50), "hop_p90": percentile(every, 90)}


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# ---- PostgreSQL's own counters and the spans -----------------------------------------------

def preload_statements(pgdata: Path) -> None:
    """initdb now, so that `jointaid up` starts PostgreSQL with pg_stat_statements: only the bench pays for it."""
    EmbeddedPostgres(pgdata).start().stop()
    with open(pgdata / "postgresql.conf", "a") as conf:
        conf.write("shared_preload_libraries = 'pg_stat_statements'\n")


async def prepare_counters(database_url: str) -> bool:
    """The extension (if preloaded) and the bench's read-only role; True if statements are counted."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        loaded = "pg_stat_statements" in await conn.fetchval("SHOW shared_preload_libraries")
        if loaded:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute(f"CREATE ROLE {STATS_ROLE} LOGIN IN ROLE pg_read_all_data, pg_read_all_stats")
        return loaded
    finally:
        await conn.close()


async def pg_counters(conn, statements: bool) -> dict:
    """Transactions so far (pg_stat_database), the WAL position (exact now, unlike pg_stat_wal, reported late
    too) and, with pg_stat_statements, calls per statement text, the bench role's summed under "own"."""
    row = await conn.fetchrow("SELECT xact_commit + xact_rollback AS xacts, (pg_current_wal_lsn() - '0/0')::bigint AS wal "
                              "FROM pg_stat_database WHERE datname = current_database()")
    calls: dict[str, int] = {}
    if statements:
        for r in await conn.fetch(
                "SELECT userid = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS own, query, calls "
                "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"):
            key = "own" if r["own"] else r["query"]
            calls[key] = calls.get(key, 0) + r["calls"]
    return {"xacts": row["xacts"], "wal": row["wal"], "calls": calls}


def _delta(after: dict, before: dict) -> dict:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def pg_figures(before: dict, notified: dict, settled: dict, statements: bool) -> dict:
    """The phase before→notified, the bench's own queries left out. pg_stat_database gets some counts late, so
    transactions are read when settled, less those ended since notified (the system's COMMIT/ROLLBACKs, the
    bench's statements: all else it runs idle is in those blocks); without pg_stat_statements, read when
    notified (a little low)."""
    calls = _delta(notified["calls"], before["calls"])
    own = calls.pop("own", 0)
    xacts = notified["xacts"] - before["xacts"]
    if statements:
        late = _delta(settled["calls"], notified["calls"])
        ended_late = late.get("own", 0) + sum(n for q, n in late.items() if q.rstrip("; ").upper() in TX_ENDS)
        xacts = settled["xacts"] - before["xacts"] - ended_late - own
    return {"xacts": xacts, "wal": notified["wal"] - before["wal"], "statements": calls if statements else None}


async def span_counts(conn, ids: list[str]) -> dict[str, int]:
    """Spans in all, and those in the traces of these applications."""
    row = await conn.fetchrow(
        """SELECT count(*) AS total, count(*) FILTER (WHERE trace_id IN (
               SELECT trace_id FROM intake.applications WHERE application_id = ANY($1::uuid[]))) AS traces
           FROM telemetry.spans""", ids)
    return dict(row)


async def settle(conn, ids: list[str], at_least: float, at_most: float = LATE_SECONDS + 10) -> dict[str, int]:
    """Span counts once they stop growing (each service flushes its spans every second), waiting at least
    `at_least` seconds for pg_stat_database's late counts."""
    started, last = time.monotonic(), None
    while True:
        await asyncio.sleep(1.0)
        counts, waited = await span_counts(conn, ids), time.monotonic() - started
        if (counts == last and waited >= at_least) or waited >= at_most:
            return counts
        last = counts


# ---- the raw limit: broker ----------------------------------------------------------------

async def raw_broker(bootstrap: str, count: int, chunk: int = 2000) -> dict:
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    await _create_topic(bootstrap, topic)
    produce_s = await _produce(bootstrap, topic, count, chunk)
    print(f"bench: raw produce {count} messages in {produce_s:.1f} s", flush=True)
    join_s, consume_s, got = await _consume(bootstrap, topic, count)
    print(f"bench: raw consume {got} messages in {consume_s:.1f} s (group join {join_s:.1f} s)", flush=True)
    return {"count": count, "produce": count / produce_s, "consume": got / consume_s if consume_s else 0.0,
            "consumed": got}


async def _create_topic(bootstrap: str, topic: str, partitions: int = 6) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def _produce(bootstrap: str, topic: str, count: int, chunk: int) -> float:
    from aiokafka import AIOKafkaProducer

    value = os.urandom(RAW_VALUE_BYTES // 2).hex().encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await producer.start()
    try:
        started = time.monotonic()
        for first in range(0, count, chunk):
            sends = [await producer.send(topic, value, key=str(i).encode()) for i in range(first, min(first + chunk, count))]
            await asyncio.gather(*sends)
        return time.monotonic() - started
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, count: int, timeout: float = 120) -> tuple[float, float, int]:
    """(seconds until the first record, seconds from the first to the last record, records read)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    started = time.monotonic()
    await consumer.start()
    try:
        got, first = 0, None
        while got < count and time.monotonic() - started < timeout:
            asked = time.monotonic()
            batches = await consumer.getmany(timeout_ms=100, max_records=10_000)
            got += sum(len(records) for records in batches.values())
            if got and first is None:
                first = asked
        first = first or time.monotonic()
        return first - started, time.monotonic() - first, got
    finally:
        await consumer.stop()


# ---- the raw limit: PostgreSQL ------------------------------------------------------------

async def raw_pg(database_url: str, count: int, connections: int = PG_CONNECTIONS) -> dict:
    import asyncpg

    pool = await asyncpg.create_pool(database_url, min_size=connections, max_size=connections)
    try:
        await pool.execute("CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.scratch; "
                           "CREATE TABLE bench.scratch (id bigserial PRIMARY KEY, payload text NOT NULL, "
                           "at timestamptz NOT NULL DEFAULT now())")
        seconds = await _pg_transactions(pool, count, connections)
        await pool.execute("DROP SCHEMA bench CASCADE")
    finally:
        await pool.close()
    print(f"bench: raw pg {count} transactions in {seconds:.1f} s", flush=True)
    return {"count": count, "rate": count / seconds, "connections": connections}


async def _pg_transactions(pool, count: int, connections: int) -> float:
    payload = "x" * 100
    shares = [count // connections + (1 if i < count % connections else 0) for i in range(connections)]

    async def worker(share: int) -> None:
        async with pool.acquire() as conn:
            for _ in range(share):
                async with conn.transaction():
                    await conn.execute("INSERT INTO bench.scratch(payload) VALUES ($1)", payload)

    started = time.monotonic()
    await asyncio.gather(*(worker(share) for share in shares))
    return time.monotonic() - started


# ---- one run --------------------------------------------------------------------------------

async def idle_cpu(system: System, seconds: float) -> dict[str, float]:
    """Each process's share of a core while nothing is asked of the system: its background (consumers' fetch
    polls, heartbeats, the relays' and workers' idle polls), which every application of a run shares."""
    print(f"bench: measuring the idle system for {seconds:g} s ...", flush=True)
    before = system.cpu()
    await asyncio.sleep(seconds)
    return {name: used / seconds for name, used in difference(system.cpu(), before).items()}


async def measure(system: System, args) -> dict:
    import asyncpg

    bodies = make_applications(args.n, args.seed)
    reference = reference_ms()  # this hour's speed of the machine, before the system is busy
    idle = await idle_cpu(system, args.idle_seconds) if args.idle_seconds else None
    statements = await prepare_counters(system.database_url)
    conn = await asyncpg.connect(system.database_url, user=STATS_ROLE)
    try:
        before, spans_before = await pg_counters(conn, statements), await span_counts(conn, [])
        cpu_before, own_before = system.cpu(), _own_cpu()
        pace = f"offered {args.rate:g}/s, at most {args.concurrency} in flight" if args.rate else f"concurrency {args.concurrency}"
        print(f"bench: submitting {args.n} applications, {pace}", flush=True)
        approver = httpx.AsyncClient(base_url=system.base, timeout=30, headers={
            "Authorization": f"Bearer {staff_token(system.data_dir, 'approver', SECOND_APPROVER)}"})
        async with approver:
            desk = asyncio.create_task(approver_desk(approver))
            try:
                submitted = await submit_all(system.base, bodies, args.concurrency,
                                             staff_token(system.data_dir, "caseworker", "bench"), args.rate)
                del bodies
                print(f"bench: accepted {len(submitted.ids)}/{args.n} in {submitted.seconds:.1f} s; refused/failed: "
                      f"{submitted.failures or 'none'}; transport errors retried: {submitted.retries or 'none'}", flush=True)
                counts = await wait_notified(conn, submitted.ids, args.timeout)
            finally:
                desk.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await desk
        cpu = difference(system.cpu(), cpu_before)
        cpu["load client"] = _own_cpu() - own_before
        notified = await pg_counters(conn, statements)
        figures = await system_figures(conn, submitted.ids)
        print("bench: waiting for the spans and PostgreSQL's late counts ...", flush=True)
        spans = await settle(conn, submitted.ids, LATE_SECONDS if statements else 0)
        settled = await pg_counters(conn, statements)
        figures["path"] = path_figures(await path_gaps(conn, submitted.ids))
    finally:
        await conn.close()
    report = {"n": args.n, "rate": args.rate, "submitted": submitted, "counts": counts, "system": figures, "cpu": cpu,
              "idle": idle, "reference_ms": reference,
              "pg_stats": pg_figures(before, notified, settled, statements),
              "spans": {"traces": spans["traces"], "total": spans["total"] - spans_before["total"]}}
    if not args.no_raw:
        report["broker"] = await raw_broker(system.bootstrap, args.n * EVENTS_PER_APPLICATION)
        report["pg"] = await raw_pg(system.database_url, args.n * EVENTS_PER_APPLICATION)
    return report


def _own_cpu() -> float:
    """This process's CPU seconds: the load client's cost, reported apart from the system's."""
    times = os.times()
    return times.user + times.system


def summary(report: dict) -> str:
    sub, fig, counts = report["submitted"], report["system"], report["counts"]
    notified = counts.get("notified", 0)
    offered = (f", offered {report['rate']:g}/s (submitted at {len(sub.ids) / sub.seconds:,.1f}/s)"
               if report.get("rate") and sub.seconds else ", at saturation")
    lines = [f"jointaid bench: N={report['n']} applications{offered}",
             f"  system     : {fig['rate']:,.1f} applications/s; submit→notified (paid straight through) p50 {fig['p50']:,.0f} ms, "
             f"p99 {fig['p99']:,.0f} ms; HTTP submit p50 {percentile(sub.latencies_ms, 50):,.0f} ms, "
             f"p99 {percentile(sub.latencies_ms, 99):,.0f} ms"]
    if held := fig.get("held", {}).get("n"):
        lines.append(f"  held       : {held:,} above the approval threshold, apart from the above: submit→notified "
                     f"p50 {fig['held']['p50']:,.0f} ms, p99 {fig['held']['p99']:,.0f} ms (an approver round every "
                     f"{APPROVER_ROUND_SECONDS:g} s)")
    lines += _path_line(fig.get("path"))
    if notified < report["n"]:
        stuck = {s: c for s, c in counts.items() if s != "notified"}
        lines.append(f"  INCOMPLETE : accepted {len(sub.ids)}/{report['n']} (refused/failed {sub.failures or 'none'}); "
                     f"notified {notified}/{len(sub.ids)}; stuck by status {stuck or 'none'}")
    per_app = {name: seconds * 1000 / max(notified, 1) for name, seconds in report["cpu"].items()}
    system_ms = sum(ms for name, ms in per_app.items() if name != "load client")
    lines.append(f"  CPU        : {system_ms:,.1f} ms per application over the system's processes (load client "
                 f"{per_app['load client']:,.1f} ms apart); " + ", ".join(
                     f"{name} {ms:,.1f}" for name, ms in sorted(per_app.items(), key=lambda kv: -kv[1]) if name != "load client"))
    lines += _idle_line(report.get("idle"), fig["rate"]) + _machine_line(report.get("reference_ms"), system_ms)
    lines += _pg_lines(report["pg_stats"], notified) + _span_line(report["spans"], notified)
    if "broker" in report:
        b, delivered = report["broker"], fig["rate"] * EVENTS_PER_APPLICATION
        lines.append(f"  raw broker : produce {b['produce']:,.0f} msg/s, consume {b['consume']:,.0f} msg/s "
                     f"({b['count']:,} messages); the system delivered {delivered:,.0f} msg/s = "
                     f"{_share(delivered, b['consume'])} of raw consume ({EVENTS_PER_APPLICATION} events per application "
                     f"assumed, not counted)")
    if "pg" in report:
        p, tx = report["pg"], fig["rate"] * report["pg_stats"]["xacts"] / max(notified, 1)
        lines.append(f"  raw pg     : {p['rate']:,.0f} tx/s ({p['count']:,} transactions, {p['connections']} connections); "
                     f"the system ran {tx:,.0f} tx/s = {_share(tx, p['rate'])} of it")
    return "\n".join(lines)


def _path_line(path: dict | None) -> list[str]:
    if not path or not path["applications"]:
        return []
    return [f"  hops       : {path['hops']:,.0f} between services on the way to the message (median, {path['applications']:,} "
            f"applications' traces): {path['waiting_p50']:,.0f} ms of waiting in them (median); one hop p50 "
            f"{path['hop_p50']:,.0f} ms, p90 {path['hop_p90']:,.0f} ms, publish to the next service processing"]


def _idle_line(idle: dict[str, float] | None, rate: float) -> list[str]:
    """The background's share of a core, and what it would add per application at the run's rate."""
    if not idle:
        return []
    busiest = sorted(idle.items(), key=lambda kv: -kv[1])
    total = sum(idle.values())
    named = ", ".join(f"{name} {100 * share:.1f}%" for name, share in busiest[:3])
    rest = f", the other {len(busiest) - 3} {100 * sum(s for _, s in busiest[3:]):.1f}% together" if len(busiest) > 3 else ""
    per_app = f"; at {rate:,.1f} applications/s that is {1000 * total / rate:,.1f} ms per application" if rate else ""
    return [f"  idle       : {100 * total:.1f}% of a core before the first submission ({named}{rest}){per_app}"]


def _machine_line(reference: float | None, system_ms: float) -> list[str]:
    if not reference:
        return []
    return [f"  machine    : a reference piece of Python work took {reference:,.1f} ms of CPU (jointaid/machine_speed.py); "
            f"CPU per application = {system_ms / reference:.3f} of it: compare runs of different hours by that"]


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _pg_lines(pg: dict, notified: int) -> list[str]:
    per = max(notified, 1)
    statements = pg["statements"]
    counted = f"{sum(statements.values()) / per:,.1f} statements, " if statements is not None else ""
    lines = [f"  PostgreSQL : {pg['xacts'] / per:,.1f} transactions, {counted}{pg['wal'] / per / 1000:,.1f} kB WAL "
             f"per application (the bench's own queries left out)"]
    if statements is None:
        return lines + ["  statements : n/a (pg_stat_statements not loaded; transactions read at the last "
                        "notification, so a little low)"]
    top = sorted(statements.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_STATEMENTS]
    return lines + [f"  {'top calls:' if i == 0 else '':<12} {calls / per:5.1f}  {_shorten(query)}"
                    for i, (query, calls) in enumerate(top)]


def _shorten(query: str, chars: int = 80) -> str:
    flat = " ".join(query.split())
    return flat if len(flat) <= chars else flat[:chars - 1] + "…"


def _span_line(spans: dict, notified: int) -> list[str]:
    per = max(notified, 1)
    return [f"  spans      : {spans['traces'] / per:,.1f} per application in its traces "
            f"({spans['total'] / per:,.1f} per application written in all)"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jointaid.bench",
        description="Start `jointaid up` on a temporary data dir, measure its CPU while idle (its background), push N "
        "applications through its HTTP API, wait "
        "until all are notified, and report applications/s, submit→notified p50/p99 (database clock), HTTP "
        "submit latency, CPU per application per process, and from PostgreSQL's counters over that phase "
        "transactions, statements (top 5 too) and WAL bytes per application, plus spans per application; then "
        f"measure this machine's raw limit on the same embedded broker and database (produce/consume "
        f"N×{EVENTS_PER_APPLICATION} messages, N×{EVENTS_PER_APPLICATION} small PostgreSQL transactions) and the "
        "system's rates as shares of it. The bench initialises the database itself with pg_stat_statements "
        "preloaded (a plain `jointaid up` does not load it).")
    p.add_argument("-n", type=int, default=2000, help="applications to submit (default: 2000)")
    p.add_argument("--concurrency", type=int, default=32, help="HTTP requests in flight at once (default: 32)")
    p.add_argument("--rate", type=_positive, default=None,
                   help="offered load in applications/s, paced (an open loop); p99 submit→notified at that rate "
                   "(default: none, as fast as --concurrency allows, i.e. saturation)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds to wait for all to be notified (default: 120 + N/5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the mix of the four example shapes (default: 0)")
    p.add_argument("--no-raw", action="store_true", help="skip the raw broker and PostgreSQL measurements")
    p.add_argument("--no-statements", action="store_true",
                   help="do not preload pg_stat_statements (it costs a little on every statement); statements: n/a")
    p.add_argument("--idle-seconds", type=_non_negative, default=5.0,
                   help="first measure the system's CPU while idle for this long: its background, printed beside the "
                   "CPU per application (default: 5; 0 skips it)")
    p.add_argument("--keep", action="store_true", help="keep the temporary data dir (database, logs) afterwards")
    return p


def _number(text: str) -> float:
    """The option's value as a float; nan when it is not a number, which every bound below refuses."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def _positive(text: str) -> float:
    if not (value := _number(text)) > 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, not {text!r}")
    return value


def _non_negative(text: str) -> float:
    if not 0 <= (value := _number(text)) < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, not {text!r}")
    return value


def _raise_interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.timeout = args.timeout if args.timeout is not None else 120 + args.n / 5
    signal.signal(signal.SIGTERM, _raise_interrupt)  # SIGTERM to the bench stops the system too
    work = Path(tempfile.mkdtemp(prefix="jointaid-bench-"))
    system = None
    try:
        if not args.no_statements:
            print("bench: initialising the database with pg_stat_statements preloaded ...", flush=True)
            preload_statements(work / "data" / "pg")
        system = start_system(work / "data")
        wait_ready(system)
        report = asyncio.run(measure(system, args))
        print("\n" + summary(report), flush=True)
        return 0 if report["counts"].get("notified", 0) == args.n else 1
    except KeyboardInterrupt:
        print("bench: interrupted", flush=True)
        return 130
    finally:
        if system:
            stop_system(system)
        if args.keep:
            print(f"bench: kept {work} (logs in {work / 'data' / 'logs'}, output of up in {work / 'up.out'})")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
