"""Payment runs at the window: refuse what no rule allows, record the request once, show the progress.

The progress (households, paid, failed, totals) is caseload's: intake reads it through the
read-only view `caseload.payment_run_progress` for operators and decides nothing from it.
"""
from __future__ import annotations

import uuid

import asyncpg

from contracts.events import PaymentRunRequested, RunKind
from contracts.payment_runs import PaymentRunIn, index_refusals, run_id_of
from services.intake import caseload_requests
from services.kit.policy import Policy, PolicyError, format_bp, policy_for_period


def refusals(run: PaymentRunIn, policy_of=policy_for_period) -> list[dict]:
    """Every rule the request breaks ([] when it may run). Pure but for the policy set it is given."""
    problems = index_refusals(run)
    if problems:
        return problems
    try:
        policy = policy_of(run.period)
    except PolicyError as exc:
        return [{"field": "period", "message": f"no policy in force for {run.period}: {exc}"}]
    if run.kind is RunKind.price_subsidy:
        return trigger_refusal(run, policy)
    return []


def trigger_refusal(run: PaymentRunIn, policy: Policy) -> list[dict]:
    """A price subsidy starts only when CPI or food CPI reaches its trigger of the version in force."""
    if policy.price_subsidy_triggered(run.cpi_yoy_bp, run.food_cpi_yoy_bp):
        return []
    rule = policy.price_subsidy
    return [{"field": "cpi_yoy_bp", "message": (
        f"price subsidy trigger not reached: CPI year-on-year {format_bp(run.cpi_yoy_bp)} is below "
        f"{format_bp(rule.cpi_trigger_bp)} and food CPI {format_bp(run.food_cpi_yoy_bp)} is below "
        f"{format_bp(rule.food_cpi_trigger_bp)} (policy {policy.version}); either one must reach its trigger")}]


async def request(conn: asyncpg.Connection, run: PaymentRunIn, requested_by: str) -> tuple[uuid.UUID, bool]:
    """(run_id, created). Call inside a transaction: the row and its event commit together, or neither.
    A concurrent request for the same run waits on the key, then finds it taken."""
    run_id = run_id_of(run.kind, run.period)
    data = PaymentRunRequested(run_id=run_id, kind=run.kind, period=run.period, cpi_yoy_bp=run.cpi_yoy_bp,
                               food_cpi_yoy_bp=run.food_cpi_yoy_bp, requested_by=requested_by)
    created = await caseload_requests.request_once(
        conn, "INSERT INTO payment_runs(run_id, kind, period, cpi_yoy_bp, food_cpi_yoy_bp, requested_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
        (run_id, run.kind.value, run.period, run.cpi_yoy_bp, run.food_cpi_yoy_bp, requested_by),
        "aid.payment_run.requested.v1", run_id, data)
    return run_id, created


async def view(conn: asyncpg.Connection, run_id: uuid.UUID) -> dict | None:
    """The run as operators see it; `running` with nothing counted until caseload has taken it up."""
    row = await conn.fetchrow("SELECT run_id, kind, period, requested_at FROM payment_runs WHERE run_id = $1", run_id)
    if row is None:
        return None
    progress = await caseload_requests.progress(conn, "payment_run_progress", "run_id", run_id)
    return {
        "run_id": str(row["run_id"]), "kind": row["kind"], "period": row["period"],
        "status": progress["status"] if progress else "running",
        "households": progress["households"] if progress else None,  # null until caseload has counted them
        "paid": progress["paid"] if progress else 0,
        "failed": progress["failed"] if progress else 0,
        "total_fen": progress["total_fen"] if progress else 0,
        "started_at": (progress["started_at"] if progress else row["requested_at"]).isoformat(),
        "finished_at": progress["finished_at"].isoformat() if progress and progress["finished_at"] else None,
    }
