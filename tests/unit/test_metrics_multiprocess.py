"""Process metrics under `jointaid up`: every service process writes to PROMETHEUS_MULTIPROC_DIR and one
scrape (services.kit.metrics.scrape_registry, what intake's /metrics reads) sums them all.

The service processes are stood in for by child Pythons started with the variable in their environment,
as the supervisor starts them (prometheus_client picks its mode when first imported).
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.kit import metrics

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import os, sys
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware
    from services.kit import metrics
    service, handled, in_process = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # the broker's middleware, as services/kit/broker.py builds it, reuses our multiprocess-aware gauge
    middleware = KafkaPrometheusMiddleware(registry=metrics.REGISTRY, app_name=service)
    assert middleware._metrics_container.received_messages_in_process is metrics.FASTSTREAM_IN_PROCESS
    metrics.prime(service)
    for _ in range(handled):
        metrics.processed(service, "handled")
        metrics.observe_processing(service, "aid.application.submitted", 0.01)
    metrics.FASTSTREAM_IN_PROCESS.labels(service, "kafka", "aid.x").inc(in_process)
    print(os.getpid())
""")


def run_service(folder: Path, service: str, handled: int, in_process: int = 0) -> int:
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(folder))
    done = subprocess.run([sys.executable, "-c", CHILD, service, str(handled), str(in_process)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


def scrape() -> dict[tuple[str, tuple], float]:
    text = generate_latest(metrics.scrape_registry()).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


def test_one_scrape_sums_every_process(tmp_path, monkeypatch):
    verification = run_service(tmp_path, "verification", handled=2, in_process=1)
    run_service(tmp_path, "notification", handled=1)
    run_service(tmp_path, "verification", handled=3)  # verification restarted: a new process, counting afresh
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape()
    handled = "jointaid_events_processed_total"
    assert value(samples, handled, service="verification", outcome="handled") == 5
    assert value(samples, handled, service="notification", outcome="handled") == 1
    assert (handled, (("outcome", "dead_lettered"), ("service", "notification"))) in samples  # primed at 0
    assert value(samples, "jointaid_event_processing_seconds_count", service="verification") == 5
    # the gauge is summed over live processes, with no pid label
    gauge = "faststream_received_messages_in_process"
    assert value(samples, gauge, app_name="verification") == 1
    assert all("pid" not in dict(ls) for (n, ls) in samples if n == gauge)
    # the supervisor saw the first verification process exit: its gauge goes, its counts stay
    metrics.mark_dead(verification, tmp_path)
    samples = scrape()
    assert value(samples, gauge, app_name="verification") == 0
    assert value(samples, handled, service="verification", outcome="handled") == 5


def test_without_the_folder_a_scrape_reads_this_process(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert metrics.scrape_registry() is metrics.REGISTRY
    metrics.mark_dead(os.getpid(), None)  # nothing to do outside `jointaid up`


def test_a_worker_serves_its_own_metrics_on_its_port():
    """JOINTAID_METRICS_PORT (compose's workers): services.kit.runner starts this exporter."""
    import httpx

    from jointaid.embedded import free_port

    port = free_port()
    metrics.prime("red_cross")
    metrics.serve_http(port)
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert answer.status_code == 200
    assert 'jointaid_events_processed_total{outcome="handled",service="red_cross"}' in answer.text
