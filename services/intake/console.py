"""Operator console: server-rendered HTML over intake's status view and the span table.

GET /console                      last 100 applications: status, age, each layer's answer
    ?status=escalated             only that status
    ?stuck=1[&minutes=N]          not notified and submitted more than N (default 10) minutes ago
GET /console/applications/{id}    the trace as a timeline, each decision with its reason, the
                                  payment with its lines, the notification text

No personal data: the submission (names, ID numbers, phones, account) is never read here.
Everything shown passes through html.escape.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from string import Template

import asyncpg

from services.intake import console_leads, traces
from services.kit.money import format_yuan

PAGE = Template((Path(__file__).parent / "console.html").read_text(encoding="utf-8"))
LAYERS = ((1, "civil affairs", "status"), (2, "medical insurance", "critical illness"),
          (3, "medical insurance", "medical assistance"), (4, "civil affairs", "temporary"),
          (5, "Red Cross", "major illness"))
MARKS = {"approved": "✓", "denied": "✗", "not_applicable": "–"}
FINAL = ("notified", "rejected")
DEFAULT_STUCK_MINUTES = 10
SERVICES_CSS = ("intake", "verification", "registries", "civil_affairs", "medical_insurance", "red_cross", "disbursement",
                "notification")


def page(title: str, body: str) -> str:
    return PAGE.substitute(title=escape(title), body=body)


def age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d"


def layer_cell(status: str, outcome: str | None, program: str | None) -> str:
    if outcome is None:
        if status in FINAL:
            return '<td class="layer not_applicable" title="no answer">–</td>'
        return '<td class="layer pending" title="pending">…</td>'
    return (f'<td class="layer {escape(outcome)}" title="{escape(program or "")}: {escape(outcome)}">'
            f'{MARKS.get(outcome, "?")}</td>')


async def list_page(conn: asyncpg.Connection, status: str | None, stuck: bool, minutes: int, overview: str = "") -> str:
    """`overview` (console_overview.section) comes first: the first screen says whether anything is wrong."""
    rows = await conn.fetch(
        "SELECT a.application_id, a.status, extract(epoch FROM now() - a.submitted_at)::float8 AS age,"
        " coalesce(json_object_agg(d.layer, json_build_object('outcome', d.outcome, 'program', d.program))"
        "          FILTER (WHERE d.layer IS NOT NULL), '{}') AS decisions"
        " FROM applications a LEFT JOIN decisions d USING (application_id)"
        " WHERE ($1::text IS NULL OR a.status = $1)"
        "   AND (NOT $2 OR (a.status <> 'notified' AND a.submitted_at < now() - make_interval(mins => $3)))"
        " GROUP BY a.application_id ORDER BY a.submitted_at DESC LIMIT 100",
        status, stuck, minutes,
    )
    head = "".join(f'<th title="{escape(dep)}: {escape(what)}">L{n}</th>' for n, dep, what in LAYERS)
    lines = []
    for r in rows:
        decisions = json.loads(r["decisions"]) if isinstance(r["decisions"], str) else r["decisions"]
        cells = "".join(
            layer_cell(r["status"], (decisions.get(str(n)) or {}).get("outcome"), (decisions.get(str(n)) or {}).get("program"))
            for n, _, _ in LAYERS
        )
        app_id = escape(str(r["application_id"]))
        lines.append(
            f'<tr class="application" data-id="{app_id}"><td class="mono"><a href="/console/applications/{app_id}">{app_id}</a></td>'
            f'<td class="status status-{escape(r["status"])}">{escape(r["status"])}</td>'
            f'<td>{escape(age(r["age"]))}</td>{cells}</tr>'
        )
    what = []
    if status:
        what.append(f"status {status}")
    if stuck:
        what.append(f"not notified after {minutes} min")
    caption = f'<p class="muted">{len(rows)} shown (latest 100{", " + escape(", ".join(what)) if what else ""}).' \
              ' ✓ approved · ✗ denied · – not applicable · … pending</p>'
    table = (f'<table id="applications"><thead><tr><th>application</th><th>status</th><th>age</th>{head}</tr></thead>'
             f'<tbody>{"".join(lines) or "<tr><td colspan=8>none</td></tr>"}</tbody></table>')
    waiting = await conn.fetchval("SELECT count(*) FROM approvals WHERE status = 'pending'")
    approvals = (f'<p id="approvals-waiting"><a href="/console?status=awaiting_approval">{waiting} payment(s) awaiting'
                 ' approval</a> (above the threshold: a second person decides, GET /v1/approvals)</p>')
    return page("Applications", overview + approvals + caption + table + await console_leads.open_leads_section(conn))


def folded(spans: list[dict]) -> tuple[list[dict], dict[str, list[str]]]:
    """Pure: the spans without their per-publish children, and per parent span what it published. A publish is a
    moment inside the handling that made it: folded into its parent's line, one application reads in one screen."""
    ids = {span["span_id"] for span in spans}
    published: dict[str, list[str]] = {}
    shown = []
    for span in spans:
        if span["name"].endswith(" publish") and span["parent_id"] in ids:
            published.setdefault(span["parent_id"], []).append(span["name"].removesuffix(" publish"))
        else:
            shown.append(span)
    return shown, published


def timeline(all_spans: list[dict]) -> str:
    if not all_spans:
        return '<p class="muted" id="timeline">No spans stored for this trace (yet).</p>'
    spans, published = folded(all_spans)
    starts = [datetime.fromisoformat(s["start"]) for s in spans]
    ends = [datetime.fromisoformat(s["end"]) for s in spans]
    t0, t1 = min(starts), max(ends)
    total = max((t1 - t0).total_seconds(), 1e-6)
    rows = []
    for span, start, end in zip(spans, starts, ends):
        left = (start - t0).total_seconds() / total * 100
        width = max((end - start).total_seconds() / total * 100, 0.2)
        width = min(width, 100 - left)
        service = span["service"]
        css = f"svc-{service}" if service in SERVICES_CSS else ""
        ms = (end - start).total_seconds() * 1000
        label = f"{service} · {span['name']}"
        sent = published.get(span["span_id"], [])
        out = f' → {", ".join(sorted(set(sent)))}' + (f" ×{len(sent)}" if len(sent) > 1 else "") if sent else ""
        rows.append(
            f'<div class="span-row"><div class="span-label" title="{escape(label + out)}">{escape(label)}'
            f'<span class="folded">{escape(out)}</span>'
            f' <span class="muted">{ms:.1f} ms</span></div><div class="span-track">'
            f'<div class="bar {css}" data-service="{escape(service)}" style="left:{left:.3f}%;width:{width:.3f}%"'
            f' title="{escape(label)}: +{(start - t0).total_seconds() * 1000:.1f} ms, {ms:.1f} ms"></div></div></div>'
        )
    summary = (f'<p class="muted" id="timeline-summary">{len(all_spans)} spans ({len(all_spans) - len(spans)} publishes folded'
               f' into the line that sent them) over {total * 1000:.0f} ms, from {escape(t0.isoformat())}</p>')
    return summary + f'<div class="timeline" id="timeline">{"".join(rows)}</div>'


def _json(value):
    return None if value is None else (json.loads(value) if isinstance(value, str) else value)


async def detail_page(conn: asyncpg.Connection, application_id: uuid.UUID) -> str | None:
    row = await conn.fetchrow(
        "SELECT status, payment, notification, rejection, trace_id, registry_checks,"
        " extract(epoch FROM now() - submitted_at)::float8 AS age, submitted_at"
        " FROM applications WHERE application_id = $1",
        application_id,
    )
    if row is None:
        return None
    decisions = await conn.fetch(
        "SELECT layer, department, program, outcome, amount_fen, recurring, reason FROM decisions"
        " WHERE application_id = $1 ORDER BY layer",
        application_id,
    )
    spans = await traces.spans(conn, row["trace_id"])
    status = row["status"]
    parts = [
        f'<p><span class="status status-{escape(status)}" id="status">{escape(status)}</span>'
        f' · submitted {escape(row["submitted_at"].astimezone(timezone.utc).isoformat(timespec="seconds"))}'
        f' ({escape(age(row["age"]))} ago) · trace <span class="mono">{escape(row["trace_id"] or "none")}</span></p>',
        await console_leads.consent_section(conn, application_id),
        "<h2>Timeline</h2>", timeline(spans),
        "<h2>Decisions</h2>",
    ]
    if decisions:
        body = "".join(
            f'<tr class="decision"><td>{d["layer"]}</td><td>{escape(d["department"])}</td><td>{escape(d["program"])}</td>'
            f'<td class="{escape(d["outcome"])}">{MARKS.get(d["outcome"], "")} {escape(d["outcome"])}</td>'
            f'<td>{escape(format_yuan(d["amount_fen"]))}</td><td>{escape(d["recurring"])}</td>'
            f'<td class="reason">{escape(d["reason"])}</td></tr>'
            for d in decisions
        )
        parts.append('<table id="decisions"><thead><tr><th>layer</th><th>department</th><th>program</th><th>outcome</th>'
                     f'<th>amount</th><th>recurring</th><th>reason</th></tr></thead><tbody>{body}</tbody></table>')
    else:
        parts.append('<p class="muted" id="decisions">No decision yet.</p>')
    parts.append(registries_section(_json(row["registry_checks"])))
    rejection = _json(row["rejection"])
    if rejection:
        parts.append(f'<h2>Rejection</h2><p id="rejection">{escape(str(rejection.get("rule")))}: '
                     f'{escape(str(rejection.get("reason")))}</p>')
    parts.append("<h2>Payment</h2>")
    payment = _json(row["payment"])
    if payment:
        lines = "".join(
            f'<tr><td>{escape(str(line["department"]))}</td><td>{escape(str(line["program"]))}</td>'
            f'<td>{escape(format_yuan(int(line["amount_fen"])))}</td></tr>'
            for line in payment.get("lines", [])
        )
        parts.append(f'<p id="payment">payment <span class="mono">{escape(str(payment["payment_id"]))}</span>,'
                     f' total {escape(format_yuan(int(payment["total_fen"])))}</p>'
                     f'<table id="payment-lines"><thead><tr><th>department</th><th>program</th><th>amount</th></tr></thead>'
                     f'<tbody>{lines}</tbody></table>')
    else:
        parts.append('<p class="muted" id="payment">No payment' + (" (nothing to pay)." if status == "notified" else " yet.") + "</p>")
    parts.append("<h2>Notification</h2>")
    notification = _json(row["notification"])
    if notification:
        parts.append(f'<p class="muted">{escape(str(notification.get("channel")))} · sent {escape(str(notification.get("sent_at")))}</p>'
                     f'<pre class="message" id="notification">{escape(str(notification.get("text", "")))}</pre>')
    else:
        parts.append('<p class="muted" id="notification">Not sent yet.</p>')
    return page(f"Application {application_id}", "".join(parts))


def registries_section(found: dict | None) -> str:
    """Which registry said what of each member (by position), and when; the differences they made."""
    if found is None:
        return '<h2>Registries</h2><p class="muted" id="registries">Not checked yet.</p>'
    rows = "".join(
        f'<tr><td>{int(c["member"])}</td><td>{escape(str(c["registry"]))}</td><td>{escape(str(c["field"]))}</td>'
        f'<td>{escape(json.dumps(c["value"]))}</td><td>{escape(str(c.get("recorded_at") or ""))}</td></tr>'
        for c in found.get("checks", [])
    )
    parts = ["<h2>Registries</h2>"]
    if rows:
        parts.append('<table id="registries"><thead><tr><th>member</th><th>registry</th><th>field</th><th>value</th>'
                     f'<th>recorded</th></tr></thead><tbody>{rows}</tbody></table>')
    if found.get("declared_only"):
        members = ", ".join(str(int(m)) for m in found["declared_only"])
        parts.append(f'<p class="muted" id="declared-only">In no registry (decided on the declaration): member {members}</p>')
    parts += [f'<p class="registry-note">{escape(str(note))}</p>' for note in found.get("notes", [])]
    return "".join(parts)


def not_found_page(application_id: str) -> str:
    return page("Not found", f"<p>No application with id {escape(application_id)}.</p>")
