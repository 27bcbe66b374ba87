"""Issue 5: one trace per application across all seven services, /metrics, the operator console.

Runs against the session's `jointaid up` (tests/e2e/conftest.py). The console is checked in a real
headless Chromium (Debian's /usr/bin/chromium driven by the `playwright` package; no browser download).
"""
from __future__ import annotations

import asyncio
import json
import struct
import time
import zlib
from pathlib import Path

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.caseload.amounts import recipient_id_of
from services.kit.settings import SERVICES

# The services an application's chain passes through: discovery works on monitoring batches, and
# referrals joins a trace only when the application asks for a service (neither does for D).
CHAIN = frozenset(SERVICES) - {"discovery", "referrals"}
from tests.conftest import EXAMPLES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def personal_strings(body: dict) -> set[str]:
    """Every name, ID number, phone and account number in an application body."""
    found = {body["applicant_name"], body["applicant_id_number"], body["phone"], body["payout_account"]["number"]}
    for member in body["household"]["members"]:
        found |= {member["name"], member["id_number"]}
    return found


def wait_trace(system, application_id: str, timeout: float = 10) -> list[dict]:
    """Poll until spans of every service are stored and every parent is among them (flushes are ~1 s apart)."""
    deadline = time.monotonic() + timeout
    spans: list[dict] = []
    with system.client() as client:
        while time.monotonic() < deadline:
            answer = client.get(f"/v1/applications/{application_id}/trace")
            assert answer.status_code == 200, answer.text
            spans = answer.json()
            ids = {s["span_id"] for s in spans}
            if {s["service"] for s in spans} >= CHAIN and all(
                s["parent_id"] is None or s["parent_id"] in ids for s in spans
            ):
                return spans
            time.sleep(0.3)
    return spans


@pytest.fixture(scope="module")
def example_d(system, worked_examples):
    """Worked example D, submitted once for the session (tests/e2e/conftest.py), notified, with its spans."""
    view = worked_examples["D"]
    assert view["status"] == "notified"
    return view["application_id"], view, wait_trace(system, view["application_id"])


def test_trace_spans_every_service_in_one_tree(example_d):
    application_id, view, spans = example_d
    assert spans, "no spans stored"
    assert {s["trace_id"] for s in spans} == {view["trace_id"]}
    assert {s["service"] for s in spans} == CHAIN
    ids = [s["span_id"] for s in spans]
    assert len(ids) == len(set(ids))
    by_id = {s["span_id"]: s for s in spans}
    roots = [s for s in spans if s["parent_id"] is None]
    assert len(roots) == 1 and roots[0]["service"] == "intake"  # FastAPI's server span of the POST
    assert roots[0] is spans[0]
    assert all(s["parent_id"] in by_id for s in spans if s["parent_id"] is not None)
    starts = [s["start"] for s in spans]
    assert starts == sorted(starts) and all(s["start"] <= s["end"] for s in spans)
    # the notice's process span (notification also handles the caseload's enrolment) descends, hop by hop,
    # from intake.submit
    [submit] = [s for s in spans if s["name"] == "intake.submit"]
    last = [s for s in spans if s["service"] == "notification" and s["name"] == "aid.payment.issued process"][-1]
    chain = [last]
    while chain[-1]["parent_id"] is not None:
        chain.append(by_id[chain[-1]["parent_id"]])
    assert submit in chain
    assert {s["service"] for s in chain} >= {"intake", "verification", "civil_affairs", "medical_insurance",
                                            "red_cross", "disbursement", "notification"}


def test_payment_span_links_every_decision_span(system, example_d):
    application_id, view, spans = example_d

    async def stored():
        conn = await asyncpg.connect(system.database_url)
        try:
            return [dict(r) for r in await conn.fetch("SELECT * FROM telemetry.spans WHERE trace_id = $1", view["trace_id"])]
        finally:
            await conn.close()

    rows = asyncio.run(stored())
    [payment] = [r for r in rows if r["name"] == "disbursement.payment"]
    decisions_consumed = {r["span_id"] for r in rows if r["service"] == "disbursement" and r["name"] == "aid.decision.made process"}
    assert len(decisions_consumed) == 5
    assert set(json.loads(payment["attributes"])["links"]) == decisions_consumed


def test_trace_of_unknown_application_is_404(system):
    with system.client() as client:
        assert client.get("/v1/applications/00000000-0000-4000-8000-000000000000/trace").status_code == 404


def test_no_personal_data_in_spans(system, example_d):
    application_id, view, spans = example_d
    secrets = personal_strings(EXAMPLES["D"])

    async def stored():
        conn = await asyncpg.connect(system.database_url)
        try:
            rows = await conn.fetch("SELECT * FROM telemetry.spans WHERE trace_id = $1", view["trace_id"])
            return [dict(r) for r in rows]
        finally:
            await conn.close()

    rows = asyncio.run(stored())
    assert {s["span_id"] for s in spans} <= {r["span_id"] for r in rows}  # more may have been flushed since
    text = json.dumps(spans, ensure_ascii=False) + json.dumps(rows, ensure_ascii=False, default=str)
    for secret in secrets:
        assert secret not in text
    # every span carries its service and, where known, the application
    assert all(r["service"] in SERVICES for r in rows)
    # the enrolment that follows (aid.recipient.changed, keyed by recipient) stays in the application's trace
    recipient_id = str(recipient_id_of(EXAMPLES["D"]["applicant_id_number"]))
    assert {str(r["application_id"]) for r in rows if r["application_id"] is not None} <= {application_id, recipient_id}
    consumer_spans = [r for r in rows if r["name"].endswith(" process") and "recipient" not in r["name"]]
    assert consumer_spans and all(str(r["application_id"]) == application_id for r in consumer_spans)
    assert all("body" not in key for r in rows for key in json.loads(r["attributes"]))


def scrape(client) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: dict, name: str, **labels) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def test_metrics_move_after_two_applications(system, example_d):
    with system.client() as client:
        before = scrape(client)
        ids = [system.submit(EXAMPLES[name]) for name in ("A", "B")]
        for application_id in ids:
            system.wait_status(application_id)
        after = scrape(client)
    assert total(after, "jointaid_applications", status="notified") >= total(before, "jointaid_applications", status="notified") + 2
    assert total(after, "jointaid_notified_last_hour") >= total(before, "jointaid_notified_last_hour") + 2
    # intake's own consumer: every result event of two applications (5 decisions, payment, notification, ...)
    handled = ("jointaid_events_processed_total", dict(service="intake", outcome="handled"))
    assert total(after, handled[0], **handled[1]) >= total(before, handled[0], **handled[1]) + 2 * 7
    assert total(after, "jointaid_event_processing_seconds_count", service="intake") > \
        total(before, "jointaid_event_processing_seconds_count", service="intake")
    # every other service's process counts too: `jointaid up` aggregates all seven (PROMETHEUS_MULTIPROC_DIR)
    for service in CHAIN:
        moved = [total(scraped, handled[0], service=service, outcome="handled") for scraped in (before, after)]
        assert moved[1] > moved[0], f"{service}: jointaid_events_processed_total handled did not move: {moved}"
        assert total(after, "jointaid_event_processing_seconds_count", service=service) > \
            total(before, "jointaid_event_processing_seconds_count", service=service), service
        # FastStream's Prometheus middleware in each service's broker (app_name = service)
        assert total(after, "faststream_received_messages_total", app_name=service) > \
            total(before, "faststream_received_messages_total", app_name=service), service
    assert not [ls for (n, ls) in after if n == "faststream_received_messages_in_process" and "pid" in dict(ls)]
    # the outbox relays' own count (they send through the producer directly, not FastStream's publish)
    assert total(after, "jointaid_events_published_total", topic="aid.notification.sent") >= \
        total(before, "jointaid_events_published_total", topic="aid.notification.sent") + 2
    assert total(after, "jointaid_events_published_total", service="intake", topic="aid.application.submitted") >= \
        total(before, "jointaid_events_published_total", service="intake", topic="aid.application.submitted") + 2
    assert ("jointaid_kafka_figures_ok", ()) in after
    if after[("jointaid_kafka_figures_ok", ())] == 1:
        # the figure is served (its value depends on what other tests dead-lettered; cached up to 10 s)
        assert any(n == "jointaid_dlq_messages" for (n, _) in after)
        assert {dict(ls)["group"] for (n, ls) in after if n == "jointaid_consumer_lag"} == set(SERVICES)


def test_asyncapi_document_is_served(system):
    with system.client() as client:
        answer = client.get("/docs/asyncapi")
    assert answer.status_code == 200
    document = answer.json()
    assert document["asyncapi"].startswith("3.")
    assert document == json.loads((Path(__file__).resolve().parents[2] / "contracts" / "asyncapi.json").read_text())


def png_pixels(data: bytes) -> tuple[int, int, set]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes): (width, height, distinct sampled pixels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    previous, distinct = bytearray(stride), set()
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 7 == 0:
            distinct |= {bytes(line[x:x + bpp]) for x in range(0, stride, bpp * 5)}
        previous = line
    return width, height, distinct


def test_console_in_a_real_browser(system, example_d, tmp_path):
    assert Path(CHROMIUM).exists(), "needs Debian's chromium: `make install` installs it (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    application_id, view, _ = example_d
    secrets = personal_strings(EXAMPLES["D"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{system.base}/console")  # no cookie yet: the login page, not the console
            page.wait_for_url("**/console/login?next=/console")
            assert page.locator("tr.application").count() == 0
            page.get_by_label("Your access token").fill(system.token("operator", "e2e-browser"))
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{system.base}/console")
            cookie = next(c for c in page.context.cookies() if c["name"] == "jointaid_token")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            row = page.locator(f'tr.application[data-id="{application_id}"]')
            assert row.count() == 1
            assert row.locator("td.status").inner_text() == "notified"
            assert row.locator("td.layer").count() == 5
            assert "…" not in row.inner_text()  # every layer answered
            for secret in secrets:
                assert secret not in page.content()

            row.locator("a").click()
            page.wait_for_url(f"**/console/applications/{application_id}")
            assert page.locator("#status").inner_text() == "notified"
            bars = page.locator("#timeline .bar")
            assert bars.count() >= 7
            services = {bars.nth(i).get_attribute("data-service") for i in range(bars.count())}
            assert services == CHAIN
            # placed in proportion to time: the first starts at the track's left, the last ends at its right
            track = page.locator("#timeline .span-track").first.bounding_box()
            boxes = [bars.nth(i).bounding_box() for i in range(bars.count())]
            assert abs(boxes[0]["x"] - track["x"]) < 2
            assert abs(max(b["x"] + b["width"] for b in boxes) - (track["x"] + track["width"])) < 2
            lefts = [b["x"] for b in boxes]
            assert lefts == sorted(lefts) and len(set(lefts)) > len(lefts) // 2
            decisions = page.locator("#decisions tr.decision")
            assert decisions.count() == 5
            assert all(decisions.nth(i).locator("td.reason").inner_text().strip() for i in range(5))
            assert page.locator("#payment-lines tbody tr").count() >= 1
            assert page.locator("#notification").inner_text().strip() == view["notification"]["text"].strip()
            html = page.content()
            for secret in secrets:
                assert secret not in html

            shot = tmp_path / "console.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    data = shot.read_bytes()
    assert len(data) > 5 * 1024
    width, height, distinct = png_pixels(data)
    assert width >= 1280 and height >= 600
    assert len(distinct) > 10, "the screenshot is (nearly) a single colour"


def test_console_filters(system, example_d):
    application_id, _, _ = example_d
    with system.client() as client:
        escalated = client.get("/console", params={"status": "escalated"})
        stuck = client.get("/console", params={"stuck": "1"})
        everything = client.get("/console")
        missing = client.get("/console/applications/00000000-0000-4000-8000-000000000000")
        hostile = client.get("/console", params={"status": "<script>alert(1)</script>"})
    assert escalated.status_code == stuck.status_code == everything.status_code == 200
    assert application_id in everything.text
    assert application_id not in escalated.text and application_id not in stuck.text
    assert missing.status_code == 404
    assert "<script>alert" not in hostile.text and "&lt;script&gt;" in hostile.text
