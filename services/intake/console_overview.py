"""The console's first screen: "is anything wrong?" answered before the list of applications.

One verdict line, then the figures behind it: applications by status, stuck and escalated counts, the DLQ's size,
and per service its consumer lag (Kafka, as /metrics reads it) and the p50/p99 time to handle one event over the
last hour (from the span store: each `... process` span is one event handled). No personal data; all escaped.
"""
from __future__ import annotations

from html import escape

import asyncpg

from services.intake import system_metrics
from services.kit.settings import SERVICES

STUCK_MINUTES = system_metrics.STUCK_MINUTES
LAG_WARNING = 1000  # messages behind: beyond this a service is named in the verdict
_LATENCY = ("SELECT service, count(*) AS n, percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP"
            " (ORDER BY extract(epoch FROM end_ts - start_ts)) AS q FROM telemetry.spans"
            " WHERE start_ts > now() - interval '1 hour' AND name LIKE '% process' GROUP BY service")


def problems(stuck: int, escalated: int, dlq: int | None, lag: dict[str, int] | None) -> list[str]:
    """Pure: what is wrong, in words; [] when nothing is."""
    found = []
    if stuck:
        found.append(f"{stuck} stuck (not notified after {STUCK_MINUTES} min)")
    if escalated:
        found.append(f"{escalated} escalated")
    if dlq:
        found.append(f"{dlq} message(s) on the DLQ")
    if dlq is None:
        found.append("Kafka's figures unavailable")
    found += [f"{service} is {behind:,} messages behind" for service, behind in sorted((lag or {}).items())
              if behind > LAG_WARNING]
    return found


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.1f} ms"


def _service_row(name: str, lag: dict[str, int] | None, latency: dict) -> str:
    events, quantiles = latency.get(name, (0, None))
    p50, p99 = quantiles or (None, None)
    behind = "–" if lag is None else f"{lag.get(name, 0):,}"
    return (f'<tr data-service="{escape(name)}"><td>{escape(name)}</td><td class="lag">{behind}</td><td>{events}</td>'
            f'<td class="p50">{_ms(p50)}</td><td class="p99">{_ms(p99)}</td></tr>')


async def section(conn: asyncpg.Connection, settings) -> str:
    by_status = dict(await conn.fetch("SELECT status, count(*) FROM applications GROUP BY status"))
    stuck = await conn.fetchval("SELECT count(*) FROM applications WHERE status <> 'notified'"
                                " AND submitted_at < now() - make_interval(mins => $1)", STUCK_MINUTES)  # as /metrics
    latency = {r["service"]: (r["n"], r["q"]) for r in await conn.fetch(_LATENCY)}
    kafka = await system_metrics.kafka_figures(settings)
    dlq, lag = kafka if kafka is not None else (None, None)
    escalated = by_status.get("escalated", 0)
    wrong = problems(stuck, escalated, dlq, lag)
    verdict = (f'<p id="verdict" class="denied"><b>Needs attention:</b> {escape("; ".join(wrong))}.</p>' if wrong else
               '<p id="verdict" class="approved"><b>Nothing wrong:</b> nothing stuck or escalated, the DLQ is empty,'
               ' every service keeps up.</p>')
    statuses = "".join(f'<tr><td class="status status-{escape(s)}">{escape(s)}</td><td>{n}</td></tr>'
                       for s, n in sorted(by_status.items()))
    services = "".join(_service_row(name, lag, latency) for name in SERVICES)
    return (f'<section id="overview" aria-labelledby="overview-title"><h2 id="overview-title">Is anything wrong?</h2>{verdict}'
            f'<p><span id="stuck-count">{stuck}</span> stuck · <span id="escalated-count">{escalated}</span> escalated · DLQ'
            f' <span id="dlq-size">{"–" if dlq is None else dlq}</span></p>'
            '<div class="overview-tables"><table id="by-status"><caption>Applications by status</caption>'
            f'<thead><tr><th scope="col">status</th><th scope="col">count</th></tr></thead><tbody>{statuses}</tbody></table>'
            '<table id="services"><caption>Services over the last hour (handling one event)</caption><thead><tr>'
            '<th scope="col">service</th><th scope="col">lag</th><th scope="col">events</th><th scope="col">p50</th>'
            f'<th scope="col">p99</th></tr></thead><tbody>{services}</tbody></table></div></section>')
