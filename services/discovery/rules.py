"""The lead rules (DOMAIN.md "Policy finds the person"), set-based: their parameters from the policy and their SQL.

Run by services/discovery/store.py inside the import's transaction, over the signals this import inserted
(`pg_temp.discovery_fresh`) and only the households they touch (`pg_temp.discovery_members`: every person the
registries hold with the household_id of a signalled person). Each rule fires on a new signal of its kind:
- medical_spending: Σ the household's medical_spending amounts observed in the window (as_of and the
  window_days - 1 days before it; every signal loaded so far counts, so bills add up across imports), when a
  new one falls in it, > 0 and × 100 ≥ share_pct × 12 × the living members' monthly income;
- income_drop: the living members' monthly income with each signalled member's new income (their latest new
  income_drop) in place of the registry's, down by ≥ drop_pct % of the registry's total (which must be > 0);
- disability: the signal's grade, else the registries', ≤ max_grade;
- death: of a member whose registry monthly income ≥ death_min_monthly_income_fen;
- report: always.
A signal observed after as_of (an import run as of an earlier day) fires nothing.
Figures per fired rule: `a`, `b` (fen or a grade), turned into words by services/discovery/figures.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.kit.policy import Policy

# An application is in progress until it is final: notified (the one message went out) or rejected.
FINAL_STATUSES = ("notified", "rejected")


@dataclass(frozen=True)
class Params:
    as_of: date
    policy_version: str
    window_days: int
    share_pct: int
    drop_pct: int
    max_grade: int
    death_min_fen: int
    covered: tuple[tuple[str, str], ...]  # (rule, caseload status that already answers it)

    @classmethod
    def of(cls, policy: Policy, as_of: date) -> "Params":
        leads = policy.leads
        covered = tuple((rule, status.value) for rule in type(leads.covered_by).model_fields
                        for status in getattr(leads.covered_by, rule))
        return cls(as_of, policy.version, leads.medical_spending_window_days, leads.medical_spending_share_pct,
                   leads.income_drop_pct, leads.disability_max_grade, leads.death_min_monthly_income_fen, covered)

    @property
    def window_from(self) -> date:
        """The first day of the medical-spending window (as_of is its last)."""
        return self.as_of - timedelta(days=self.window_days - 1)


MEMBERS = """
DROP TABLE IF EXISTS pg_temp.discovery_members;
CREATE TEMP TABLE discovery_members ON COMMIT DROP AS
    SELECT p.household_id, p.id_number, p.alive, p.monthly_income_fen, p.disability_grade, p.hukou_region
    FROM registries.persons p
    WHERE p.household_id IN (SELECT household_id FROM pg_temp.discovery_fresh WHERE household_id IS NOT NULL);
ANALYZE pg_temp.discovery_members;
"""

# $1 as_of, $2 window_from, $3 share_pct, $4 drop_pct, $5 max_grade, $6 death_min_fen
FIRED_TABLE = """
DROP TABLE IF EXISTS pg_temp.discovery_fired;
CREATE TEMP TABLE discovery_fired (household_id text, rule text, a bigint, b bigint) ON COMMIT DROP;
"""
FIRED = """
INSERT INTO pg_temp.discovery_fired
WITH fresh AS (
    SELECT * FROM pg_temp.discovery_fresh WHERE household_id IS NOT NULL AND observed_on <= $1
), living AS (
    SELECT household_id, sum(monthly_income_fen) AS income FROM pg_temp.discovery_members WHERE alive GROUP BY household_id
), spent AS (
    SELECT s.household_id, sum(s.amount_fen) AS spending
    FROM signals s
    WHERE s.signal = 'medical_spending' AND s.observed_on BETWEEN $2 AND $1
      AND s.household_id IN (SELECT household_id FROM fresh WHERE signal = 'medical_spending' AND observed_on >= $2)
    GROUP BY s.household_id
), medical AS (
    SELECT s.household_id, 'medical_spending'::text AS rule, s.spending AS a, 12 * coalesce(l.income, 0) AS b
    FROM spent s LEFT JOIN living l USING (household_id)
    WHERE s.spending > 0 AND s.spending * 100 >= $3 * 12 * coalesce(l.income, 0)
), drops AS (
    SELECT DISTINCT ON (id_number) id_number, amount_fen FROM fresh WHERE signal = 'income_drop'
    ORDER BY id_number, observed_on DESC, amount_fen
), incomes AS (
    SELECT m.household_id, sum(m.monthly_income_fen) AS before, sum(coalesce(d.amount_fen, m.monthly_income_fen)) AS after
    FROM pg_temp.discovery_members m LEFT JOIN drops d USING (id_number)
    WHERE m.alive AND m.household_id IN (SELECT m2.household_id FROM pg_temp.discovery_members m2 JOIN drops USING (id_number))
    GROUP BY m.household_id
), income_drop AS (
    SELECT household_id, 'income_drop'::text, before, after FROM incomes
    WHERE before > 0 AND (before - after) * 100 >= $4 * before
), disability AS (
    SELECT f.household_id, 'disability'::text, min(coalesce(f.grade, m.disability_grade))::bigint, NULL::bigint
    FROM fresh f JOIN pg_temp.discovery_members m USING (id_number)
    WHERE f.signal = 'disability' AND coalesce(f.grade, m.disability_grade) <= $5
    GROUP BY f.household_id
), death AS (
    SELECT f.household_id, 'death'::text, max(m.monthly_income_fen), NULL::bigint
    FROM fresh f JOIN pg_temp.discovery_members m USING (id_number)
    WHERE f.signal = 'death' AND m.monthly_income_fen >= $6
    GROUP BY f.household_id
), report AS (
    SELECT DISTINCT household_id, 'report'::text, NULL::bigint, NULL::bigint FROM fresh WHERE signal = 'report'
)
SELECT * FROM medical UNION ALL SELECT * FROM income_drop UNION ALL SELECT * FROM disability
UNION ALL SELECT * FROM death UNION ALL SELECT * FROM report
"""

# Who already has an application in progress, or is a recipient: only the touched households' members.
APPLYING = f"""
SELECT DISTINCT m.household_id
FROM pg_temp.discovery_members m
JOIN (
    SELECT a.submission->>'applicant_id_number' AS id_number FROM intake.applications a
    WHERE a.status NOT IN {FINAL_STATUSES!r}
    UNION
    SELECT x->>'id_number' FROM intake.applications a CROSS JOIN jsonb_array_elements(a.submission->'household'->'members') x
    WHERE a.status NOT IN {FINAL_STATUSES!r}
) busy USING (id_number)
"""
RECIPIENTS = """
SELECT DISTINCT m.household_id, r.status
FROM caseload.recipients r CROSS JOIN jsonb_array_elements(r.members) x
JOIN pg_temp.discovery_members m ON m.id_number = x->>'id_number'
WHERE r.status <> 'exited'
"""

# One row per household a rule fired for: why it raises nothing (skipped), or what its lead holds.
# $1 as_of, $2 window_from, $3 covered rules, $4 their statuses
RAISE_TABLE = """
DROP TABLE IF EXISTS pg_temp.discovery_raise;
CREATE TEMP TABLE discovery_raise (
    household_id text, skipped text, lead_id uuid, person_id_number text COLLATE "C", member_id_numbers text[],
    region_code text, fired jsonb, bills_from date, as_of date
) ON COMMIT DROP;
"""
RAISE = """
INSERT INTO pg_temp.discovery_raise
WITH households AS (
    SELECT DISTINCT household_id FROM pg_temp.discovery_fired
), covered AS (
    SELECT DISTINCT r.household_id, c.rule
    FROM pg_temp.discovery_recipients r JOIN unnest($3::text[], $4::text[]) AS c(rule, status) USING (status)
), kept AS (
    SELECT f.household_id, jsonb_agg(jsonb_build_object('rule', f.rule, 'a', f.a, 'b', f.b)) AS fired,
           bool_or(f.rule = 'medical_spending') AS medical
    FROM pg_temp.discovery_fired f LEFT JOIN covered c ON c.household_id = f.household_id AND c.rule = f.rule
    WHERE c.household_id IS NULL
    GROUP BY f.household_id
), first_signal AS (
    SELECT DISTINCT ON (f.household_id) f.household_id, f.id_number, f.digest
    FROM pg_temp.discovery_fresh f JOIN households h ON h.household_id = f.household_id
    ORDER BY f.household_id, f.row_no, f.digest
), people AS (
    SELECT m.household_id, array_agg(m.id_number ORDER BY m.id_number) FILTER (WHERE m.alive) AS members
    FROM pg_temp.discovery_members m JOIN households h ON h.household_id = m.household_id
    GROUP BY m.household_id
)
SELECT h.household_id,
       CASE WHEN a.household_id IS NOT NULL THEN 'application_in_progress'
            WHEN o.household_id IS NOT NULL THEN 'open_lead'
            WHEN k.household_id IS NULL THEN 'recipient'
            WHEN coalesce(cardinality(p.members), 0) = 0 THEN 'no_living_member'
       END AS skipped,
       md5('lead:' || h.household_id || ':' || fs.digest::text)::uuid AS lead_id,
       fs.id_number, p.members, m.hukou_region, k.fired, CASE WHEN k.medical THEN $2::date END, $1::date
FROM households h
JOIN first_signal fs ON fs.household_id = h.household_id
JOIN pg_temp.discovery_members m ON m.id_number = fs.id_number
LEFT JOIN people p ON p.household_id = h.household_id
LEFT JOIN kept k ON k.household_id = h.household_id
LEFT JOIN pg_temp.discovery_applying a ON a.household_id = h.household_id
LEFT JOIN leads o ON o.household_id = h.household_id AND o.status = 'open'
"""
