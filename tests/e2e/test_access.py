"""Who may do what, against the running system: the role table over HTTP, every forgery, the citizen's own
token, the access log, and the anonymous submission limits (DESIGN.md "Who may do what")."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client.parser import text_string_to_metric_families

from jointaid.bench import _renumber, make_applications
from jointaid.bench_registry import id_number
from jointaid.credentials import keys_dir
from services.caseload.amounts import recipient_id_of
from services.intake import tokens
from services.intake.access import PAGE_PREFIXES, PUBLIC, ROUTE_ACCESS
from tests.conftest import EXAMPLES
from tests.e2e.conftest import ROOT, start_system, stop_system
from tests.e2e.test_bad_input import footprint

PROTECTED = [route for route, rule in ROUTE_ACCESS.items() if rule is not PUBLIC]


def signing_key(system) -> tokens.SigningKey:
    return tokens.load_signing_key(keys_dir(system.data_dir))


def citizen_token(system, application_id: str) -> str:
    return tokens.mint(signing_key(system), "citizen", f"citizen:{application_id}", 3600, application_id=uuid.UUID(application_id))


def fresh(serial: int, template: str = "B") -> dict:
    """A worked example with fresh ID numbers (serials 700+ are this module's)."""
    return _renumber(EXAMPLES[template], serial)


def call(system, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=system.base, timeout=10, follow_redirects=False) as client:
        return client.request(method, path, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)


def access_log_count(system) -> int:
    async def read():
        conn = await asyncpg.connect(system.database_url)
        try:
            return await conn.fetchval("SELECT count(*) FROM intake.access_log")
        finally:
            await conn.close()
    return asyncio.run(read())


def refusals(system) -> dict[str, float]:
    with system.client() as client:
        text = client.get("/metrics").text
    return {s.labels["reason"]: s.value for f in text_string_to_metric_families(text) if f.name == "jointaid_auth_refusals"
            for s in f.samples if s.name.endswith("_total")}


@pytest.fixture(scope="module")
def application_a(worked_examples) -> str:
    return worked_examples["A"]["application_id"]


@pytest.fixture(scope="module")
def run_and_review(system) -> tuple[str, str]:
    """A payment run and a review that touch nobody (periods before any household was enrolled)."""
    with system.client("operator") as client:
        run = client.post("/v1/payment-runs", json={"kind": "monthly", "period": "2024-01"})
        review = client.post("/v1/reviews", json={"as_of": "2024-01-01"})
    assert run.status_code in (200, 202) and review.status_code in (200, 202), (run.text, review.text)
    return run.json()["run_id"], review.json()["review_id"]


def wait_for_row(system, sql: str, *args, timeout: float = 30) -> None:
    async def found() -> bool:
        conn = await asyncpg.connect(system.database_url)
        try:
            return await conn.fetchval(sql, *args) is not None
        finally:
            await conn.close()
    deadline = time.monotonic() + timeout
    while not asyncio.run(found()):
        assert time.monotonic() < deadline, f"no row within {timeout} s: {sql}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def lead_and_appeal(system) -> tuple[str, str, str]:
    """A lead (a report signal on a person the registries know), and an appeal with its fresh application."""
    person = id_number(987_001)
    record = {"id_number": person, "household_id": "access-test", "hukou_region": "110105", "alive": True,
              "disability_grade": None, "monthly_income_fen": 100_000, "financial_assets_fen": 0, "vehicles": 0}
    signal = {"id_number": person, "signal": "report", "observed_on": "2026-11-01", "source": "hotline"}
    with system.client("department") as department:
        ndjson = {"Content-Type": "application/x-ndjson"}
        assert department.post("/v1/registry/records", content=json.dumps(record), headers=ndjson).status_code == 202
        # the signal must find the person known, or it is counted as a stranger's
        wait_for_row(system, "SELECT 1 FROM registries.persons WHERE id_number = $1", person)
        assert department.post("/v1/signals", content=json.dumps(signal), headers=ndjson).status_code == 202
    body = make_applications(1, seed=987)[0]
    application_id = system.submit(body)
    system.wait_status(application_id)
    with system.client("caseworker") as client:
        appeal = client.post(f"/v1/applications/{application_id}/appeals",
                             json={"layer": 4, "grounds": "access test", "facts": {"emergency_loss_fen": 0}})
        assert appeal.status_code == 202, appeal.text
        deadline, leads = time.monotonic() + 30, []
        while not leads and time.monotonic() < deadline:
            leads = client.get("/v1/leads", params={"status": "open"}).json()["leads"]
            time.sleep(0.2)
    assert leads, "no open lead within 30 s"
    return leads[0]["lead_id"], appeal.json()["appeal_id"], application_id


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: f"{r[0]} {r[1]}")
def test_every_protected_route_for_every_role_over_http(system, application_a, run_and_review, lead_and_appeal, route):
    method, template = route
    # worked example A (mla) is a recipient once decided: its household's id for the caseload's routes
    path = template.replace("{application_id}", application_a).replace(
        "{recipient_id}", str(recipient_id_of(EXAMPLES["A"]["applicant_id_number"]))).replace(
        "{run_id}", run_and_review[0]).replace("{review_id}", run_and_review[1]).replace(
        "{lead_id}", lead_and_appeal[0]).replace("{appeal_id}", lead_and_appeal[1])
    rule = ROUTE_ACCESS[route]
    page = template.startswith(PAGE_PREFIXES)  # the console and the workbench send a stranger to the login page
    anonymous = call(system, method, path)
    assert anonymous.status_code == (303 if page else 401), anonymous.text
    if page:
        assert anonymous.headers["location"].startswith("/console/login")
    for role in tokens.STAFF_ROLES:
        answer = call(system, method, path, system.token(role))
        if role in rule:  # let through: a GET answers the data, a bodiless POST its own refusal of the body
            assert answer.status_code == 200 if method == "GET" else answer.status_code not in (401, 403), (role, answer.text[:200])
        else:
            assert answer.status_code == 403, (role, answer.text[:200])
            assert "may not" in answer.json()[0]["message"]
    owner = lead_and_appeal[2] if "{appeal_id}" in template else application_a  # an appeal is its application's
    own = call(system, method, path, citizen_token(system, owner))
    other = call(system, method, path, citizen_token(system, str(uuid.uuid4())))
    if "citizen" not in rule:
        assert own.status_code == 403
    else:
        assert own.status_code == 200 if method == "GET" else own.status_code not in (401, 403), own.text[:200]
    assert other.status_code == 403


def test_the_citizen_reads_the_application_with_the_token_its_submission_answered(system):
    body = fresh(700)
    system.wait_applicant_free(body["applicant_id_number"])
    answer = call(system, "POST", "/v1/applications", json=body)  # anonymous, as a citizen applies
    assert answer.status_code == 202, answer.text
    submitted = answer.json()
    assert set(submitted) == {"application_id", "status", "access_token"}
    claims = jwt.decode(submitted["access_token"], options={"verify_signature": False})
    assert claims["role"] == "citizen" and claims["application_id"] == submitted["application_id"]
    assert 179 * 86_400 < claims["exp"] - time.time() <= 180 * 86_400
    assert jwt.get_unverified_header(submitted["access_token"])["alg"] == "EdDSA"
    view = call(system, "GET", f"/v1/applications/{submitted['application_id']}", submitted["access_token"])
    assert view.status_code == 200 and view.json()["application_id"] == submitted["application_id"]
    for path in (f"/v1/applications/{submitted['application_id']}/trace", "/v1/access-log", "/metrics", "/console"):
        assert call(system, "GET", path, submitted["access_token"]).status_code == 403, path
    other = fresh(701)
    system.wait_applicant_free(other["applicant_id_number"])
    second = call(system, "POST", "/v1/applications", json=other).json()
    assert call(system, "GET", f"/v1/applications/{second['application_id']}", submitted["access_token"]).status_code == 403


def test_a_caseworker_submission_records_who_registered_it(system):
    body = fresh(702)
    application_id = system.submit(body)  # System.submit registers as the e2e caseworker

    async def read():
        conn = await asyncpg.connect(system.database_url)
        try:
            return await conn.fetchrow("SELECT registered_by, registered_role FROM intake.applications"
                                       " WHERE application_id = $1", uuid.UUID(application_id))
        finally:
            await conn.close()
    row = asyncio.run(read())
    assert (row["registered_by"], row["registered_role"]) == ("e2e-caseworker", "caseworker")


def forgeries(system, application_id: str) -> dict[str, str]:
    """Each hostile token, by the rule it breaks."""
    key = signing_key(system)
    good = tokens.mint(key, "operator", "forger", 3600)
    head, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    enc = lambda obj: base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()  # noqa: E731
    public_pem = key.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    hs_head = enc({"alg": "HS256", "typ": "JWT", "kid": key.kid})
    hs_sig = base64.urlsafe_b64encode(hmac.new(public_pem, f"{hs_head}.{payload}".encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    return {
        "forged signature": tokens.mint(tokens.SigningKey(Ed25519PrivateKey.generate(), key.kid), "operator", "forger", 3600),
        "changed claims": f"{head}.{enc({**claims, 'sub': 'someone-else'})}.{signature}",
        "alg none": f"{enc({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "HS256 with the public key": f"{hs_head}.{payload}.{hs_sig}",
        "expired": tokens.mint(key, "operator", "forger", 60, now=time.time() - 7200),
        "not yet valid": tokens.mint(key, "operator", "forger", 7200, now=time.time() + 3600),
        "wrong audience": tokens.mint(key, "operator", "forger", 3600, audience="another-city"),
        "100 kB": "x" * 100_000,
        "not a JWT": "hello",
    }


def test_every_forgery_is_refused_counted_and_changes_nothing(system, application_a):
    before_counts, before_log, before_refusals = footprint(system), access_log_count(system), refusals(system)
    body = fresh(703)
    for name, forged in forgeries(system, application_a).items():
        read = call(system, "GET", f"/v1/applications/{application_a}", forged)
        assert read.status_code == 401, (name, read.text[:200])
        assert read.headers["www-authenticate"].startswith("Bearer")
        assert read.json()[0]["field"] == "Authorization" and read.json()[0]["message"], name
        write = call(system, "POST", "/v1/applications", forged, json=body)
        assert write.status_code == 401, (name, write.text[:200])
    assert footprint(system) == before_counts
    assert access_log_count(system) == before_log
    after = refusals(system)
    assert sum(after.values()) - sum(before_refusals.values()) == 2 * len(forgeries(system, application_a))
    for reason in ("signature", "algorithm", "expired", "not_yet_valid", "audience", "too_long", "malformed"):
        assert after.get(reason, 0) > before_refusals.get(reason, 0), reason


def test_a_token_in_the_query_string_is_refused(system, application_a):
    answer = call(system, "GET", f"/v1/applications/{application_a}", params={"access_token": system.token()})
    assert answer.status_code == 401 and "URL" in answer.json()[0]["message"]
    assert call(system, "GET", f"/v1/applications/{application_a}", "x", headers={"Authorization": "Basic b3A6b3A="}).status_code == 401


def test_every_read_of_personal_data_is_in_the_access_log(system, application_a):
    reader = system.token("caseworker", "caseworker-wang")
    assert call(system, "GET", f"/v1/applications/{application_a}", reader, params={"purpose": "home visit"}).status_code == 200
    assert call(system, "GET", f"/v1/applications/{application_a}/trace", reader).status_code == 200
    assert call(system, "GET", f"/console/applications/{application_a}", system.token("operator", "operator-zhao"),
                params={"purpose": "stuck case"}).status_code == 200
    entries, after = [], None
    while True:  # page through, 2 at a time
        page = call(system, "GET", "/v1/access-log", system.token(), params={"application_id": application_a, "limit": 2,
                                                                           **({"after": after} if after else {})}).json()
        assert len(page["entries"]) <= 2
        entries += page["entries"]
        after = page["next_after"]
        if after is None:
            break
    mine = [(e["subject"], e["role"], e["what"], e["purpose"]) for e in entries
            if e["subject"] in ("caseworker-wang", "operator-zhao")]
    assert mine[-3:] == [("caseworker-wang", "caseworker", "application", "home visit"),
                         ("caseworker-wang", "caseworker", "trace", None),
                         ("operator-zhao", "operator", "console page", "stuck case")]
    assert all(e["application_id"] == application_a for e in entries)
    ids = [e["entry_id"] for e in entries]
    assert ids == sorted(set(ids))
    shown = subprocess.run([sys.executable, "-m", "jointaid.cli", "access-log", "--data-dir", str(system.data_dir),
                            "--application", application_a, "--json", "--limit", "500"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert [e["entry_id"] for e in json.loads(shown.stdout)["entries"]] == ids


def test_the_access_log_is_append_only(system):
    async def tamper(statement: str):
        conn = await asyncpg.connect(system.database_url)
        try:
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(statement)
        finally:
            await conn.close()
    for statement in ("UPDATE intake.access_log SET purpose = 'nothing to see'", "DELETE FROM intake.access_log",
                      "TRUNCATE intake.access_log"):
        asyncio.run(tamper(statement))


def test_the_token_command_prints_a_working_token_on_its_last_line(system, application_a):
    printed = subprocess.run([sys.executable, "-m", "jointaid.cli", "token", "--role", "operator", "--subject", "cli",
                              "--ttl", "5m", "--data-dir", str(system.data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    token = printed.stdout.strip().splitlines()[-1]
    assert call(system, "GET", f"/v1/applications/{application_a}", token).status_code == 200
    assert 240 < jwt.decode(token, options={"verify_signature": False})["exp"] - time.time() <= 300
    bad = subprocess.run([sys.executable, "-m", "jointaid.cli", "token", "--role", "king", "--subject", "x",
                          "--data-dir", str(system.data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


@pytest.fixture(scope="module")
def limited_system(tmp_path_factory):
    running = start_system(tmp_path_factory.mktemp("limits") / "data", env_extra={
        "JOINTAID_SUBMIT_LIMIT_ADDRESS": "4/minute", "JOINTAID_SUBMIT_LIMIT_APPLICANT": "2/hour"})
    yield running
    stop_system(running)


def test_anonymous_submissions_are_limited_per_applicant_and_per_address(limited_system):
    system = limited_system
    x, y, z = fresh(710), fresh(711, "C"), fresh(712, "A")
    assert call(system, "POST", "/v1/applications", json=x).status_code == 202
    assert call(system, "POST", "/v1/applications", json=x).status_code == 202  # refused later by verification, not here
    third = call(system, "POST", "/v1/applications", json=x)
    assert third.status_code == 429 and third.json()[0]["field"] == "applicant_id_number"
    assert 0 < int(third.headers["retry-after"]) <= 3600
    assert call(system, "POST", "/v1/applications", json=y).status_code == 202  # the 4th from this address: within its limit
    over = call(system, "POST", "/v1/applications", json=z)
    assert over.status_code == 429 and over.json()[0]["field"] == "client"
    assert 0 < int(over.headers["retry-after"]) <= 60
    counts = footprint(system)
    assert call(system, "POST", "/v1/applications", system.token("caseworker"), json=z).status_code == 202  # staff are not limited
    assert footprint(system)[0] == counts[0] + 1
