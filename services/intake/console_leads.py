"""The console's parts about leads: the open leads with their reasons (list page), and an application's consent
record (its page). No ID numbers: a lead is shown by its id, region, member count and the rules' figures.
Everything passes through html.escape."""
from __future__ import annotations

import uuid
from datetime import timezone
from html import escape

import asyncpg

from services.intake import leads

SHOWN = 20


def _when(at) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="seconds")


async def open_leads_section(conn: asyncpg.Connection) -> str:
    """How many leads are open, and the oldest of them with each rule's figures (en and zh)."""
    try:
        async with conn.transaction():  # a savepoint: a system without discovery still renders its page
            count, rows = await leads.open_leads(conn, SHOWN)
    except asyncpg.UndefinedTableError:
        return '<h2>Open leads</h2><p class="muted" id="leads">Discovery is not set up.</p>'
    lines = "".join(
        f'<tr class="lead" data-id="{escape(str(r["lead_id"]))}"><td class="mono">{escape(str(r["lead_id"]))}</td>'
        f'<td>{escape(str(r["region_code"]))}</td><td>{int(r["members"])}</td>'
        f'<td>{escape(_when(r["raised_at"]))}</td><td class="reason">'
        + "".join(f'<div class="rule"><b>{escape(str(rule["rule"]))}</b>: {escape(str(rule["figures"]))}'
                  f'<br><span lang="zh">{escape(str(rule["figures_zh"]))}</span></div>' for rule in r["rules"])
        + "</td></tr>"
        for r in rows)
    caption = (f'<p class="muted" id="leads-count">{count} open lead{"" if count == 1 else "s"}'
               f'{f" (the oldest {len(rows)} shown)" if count > len(rows) else ""}. A caseworker records each household'
               ' answer (POST /v1/leads/{lead_id}/consent).</p>')
    table = ('<table id="leads"><thead><tr><th>lead</th><th>region</th><th>members</th><th>raised</th>'
             f'<th>why (rules and figures)</th></tr></thead><tbody>{lines or "<tr><td colspan=5>none</td></tr>"}'
             '</tbody></table>')
    return "<h2>Open leads</h2>" + caption + table


async def consent_section(conn: asyncpg.Connection, application_id: uuid.UUID) -> str:
    """'Registered from lead … with consent given …' when the application came from a lead; else nothing."""
    row = await conn.fetchrow("SELECT lead_id, channel, at, recorded_by, recorded_at FROM lead_consents"
                              " WHERE application_id = $1", application_id)
    if row is None:
        return ""
    return (f'<p id="lead-consent">Registered from lead <span class="mono">{escape(str(row["lead_id"]))}</span>'
            f' with consent given by the household via {escape(row["channel"])} at {escape(_when(row["at"]))},'
            f' recorded by {escape(row["recorded_by"])} at {escape(_when(row["recorded_at"]))}.</p>')
