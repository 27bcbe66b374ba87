"""Hostile input against the running API over real HTTP: never a 5xx, refusals in the list format,
nothing stored for a refusal, oversized and deeply nested bodies refused early.
"""
from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import socket
from datetime import date
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.application import MAX_BILLS, MAX_DIAGNOSES, MAX_MEMBERS, MAX_MONEY_FEN
from contracts.idnumber import check_digit
from jointaid.credentials import keys_dir, staff_token
from services.intake.api import create_app
from services.kit.settings import Settings
from services.intake.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, DepthScanner
from tests.conftest import EXAMPLES
from tests.e2e.test_bad_input import footprint

URL = "/v1/applications"
JSON = {"Content-Type": "application/json"}
FUZZ = settings(max_examples=80, deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


# ---- what every answer must look like -----------------------------------------------------------

def check_answer(response: httpx.Response, sent: object = None) -> str | None:
    """Never a 5xx; a refusal is a 4xx with a list of {"field", "message"}; the id when accepted."""
    context = f"{response.status_code} {response.text[:400]!r} for {str(sent)[:300]!r}"
    assert response.status_code < 500, context
    if response.status_code == 202:
        return response.json()["application_id"]
    assert 400 <= response.status_code < 500, context
    assert response.status_code in (409, 413, 415, 422), context
    errors = response.json()
    assert isinstance(errors, list) and errors, context
    for error in errors:
        assert isinstance(error, dict) and set(error) == {"field", "message"}, context
        assert isinstance(error["field"], str), context  # "" names an unknown field called "" (errors.py)
        assert isinstance(error["message"], str) and error["message"].strip(), context
    return None


def check_growth(system, before: tuple[int, int], accepted: set[str]) -> None:
    """Refusals store nothing: applications and intake's outbox grew by exactly the accepted ones."""
    grown = tuple(now - then for now, then in zip(footprint(system), before))
    assert grown == (len(accepted), len(accepted)), f"grew by {grown}, accepted {len(accepted)}"


def assert_healthy(system) -> None:
    with system.client() as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


@pytest.fixture(scope="module")
def client(system):
    with system.client() as http:
        yield http


# ---- strategies ---------------------------------------------------------------------------------

SPECIAL_TEXT = st.sampled_from([
    "", " ", "\t\n", "\u0000", "a\u0000b", "\ud800", "\udfff", "x\ud83d", "🙂" * 60, "常" * 51, "x" * 10_000,
    "\u202e\u0635", "１３８００００００００２", "null", "true", "0", "-1", "1e309", "NaN", "32118119740308022x",
    "2026-13-40", "2026-11-20T25:61:00", "9999-12-31T23:59:59+14:00", "0001-01-01", "../../etc/passwd",
    "'; DROP TABLE applications; --", "<script>alert(1)</script>", "\\", '"', "{}", "[]",
])
SPECIAL_NUMBER = st.sampled_from([
    0, -1, 1, 2**31, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, 10**30, -(10**30), 10**4299, MAX_MONEY_FEN, MAX_MONEY_FEN + 1,
    0.5, -0.0, 1e308, 5e-324, 100.0, float("nan"), float("inf"), float("-inf"),
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=60), SPECIAL_TEXT, SPECIAL_NUMBER,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=20) | SPECIAL_TEXT, inner, max_size=6),
    max_leaves=25,
)


def dumps(value: object) -> bytes:
    """JSON as a careless client writes it: NaN/Infinity allowed, surrogates escaped."""
    return json.dumps(value, allow_nan=True).encode()


def _paths(value, prefix=()):
    """Every path to a value inside the body (dict keys and list indices), the root excluded."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield prefix + (key,)
            yield from _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield prefix + (index,)
            yield from _paths(inner, prefix + (index,))


def _parent(body, path):
    for part in path[:-1]:
        body = body[part]
    return body


@st.composite
def mutated_examples(draw) -> dict:
    """A worked example with 1-3 changes: a field dropped, replaced by any JSON value, duplicated
    into a list, or an unknown field added."""
    body = copy.deepcopy(EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = sorted(_paths(body), key=repr)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(body, path), path[-1]
        action = draw(st.sampled_from(["drop", "replace", "replace", "replace", "unknown", "grow", "text"]))
        if action == "text" and isinstance(_parent(body, path)[path[-1]], str):
            parent[last] = draw(SPECIAL_TEXT | st.text(max_size=60))  # the text itself is what is odd
        elif action == "drop":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(JSON_VALUES)
        elif action == "unknown" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=20))] = draw(JSON_VALUES)
        elif action == "grow" and isinstance(parent, list):
            parent.extend([copy.deepcopy(parent[last])] * draw(st.integers(1, 60)))
        else:
            parent[last] = draw(SCALARS)
    return body


RAW_BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b" ", b"null", b"NaN", b"-", b"\xef\xbb\xbf{}", b'{"a":1,"a":2}', b"9" * 5000,
                     b'{"household": {"financial_assets_fen": ' + b"9" * 5000 + b"}}", b"1e99999", b'"\\ud800"']),
    st.builds(lambda body, cut: dumps(body)[:cut], mutated_examples(), st.integers(0, 2000)),
    st.builds(lambda body, at, junk: dumps(body)[:at] + junk + dumps(body)[at:], mutated_examples(),
              st.integers(0, 1200), st.binary(min_size=1, max_size=8)),
    st.builds(lambda body: dumps(body).decode().encode("utf-16"), mutated_examples()),
)
HEADERS = st.one_of(
    st.just({}),
    st.builds(lambda key: {"Idempotency-Key": key},
              st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=220)),
)


# ---- fuzzing ------------------------------------------------------------------------------------

def test_fuzz_arbitrary_json(system, client):
    before, accepted = footprint(system), set()

    @FUZZ
    @given(body=JSON_VALUES)
    def post(body):
        answer = client.post(URL, content=dumps(body), headers=JSON)
        if (application_id := check_answer(answer, body)) is not None:
            accepted.add(application_id)

    post()
    check_growth(system, before, accepted)


def test_fuzz_mutated_examples(system, client):
    before, accepted = footprint(system), set()

    @settings(FUZZ, max_examples=120)
    @given(body=mutated_examples(), headers=HEADERS)
    def post(body, headers):
        answer = client.post(URL, content=dumps(body), headers={**JSON, **headers})
        if (application_id := check_answer(answer, body)) is not None:
            accepted.add(application_id)

    post()
    check_growth(system, before, accepted)


def test_fuzz_raw_bytes(system, client):
    before, accepted = footprint(system), set()

    @settings(FUZZ, max_examples=40)
    @given(body=RAW_BODIES)
    def post(body):
        answer = client.post(URL, content=body, headers=JSON)
        if (application_id := check_answer(answer, body)) is not None:
            accepted.add(application_id)

    post()
    check_growth(system, before, accepted)


OWN_APPLICANT = "110101198001010010"  # nobody else's: accepted applications here hold no worked example


def test_fuzz_free_text(system, client):
    """Names are the only free text: any text there is accepted or refused, never a 500."""
    before, accepted = footprint(system), set()
    example = json.loads(json.dumps(EXAMPLES["B"]).replace(EXAMPLES["B"]["applicant_id_number"], OWN_APPLICANT))

    @settings(FUZZ, max_examples=40)
    @given(applicant=st.text(max_size=60) | SPECIAL_TEXT, member=st.text(max_size=60) | SPECIAL_TEXT)
    def post(applicant, member):
        body = copy.deepcopy(example)
        body["applicant_name"], body["household"]["members"][1]["name"] = applicant, member
        answer = client.post(URL, content=dumps(body), headers=JSON)
        if (application_id := check_answer(answer, body)) is not None:
            accepted.add(application_id)

    post()
    check_growth(system, before, accepted)


# ---- size ---------------------------------------------------------------------------------------

def _id_number(n: int) -> str:
    first17 = f"110101{1950 + n % 50:04d}0101{n % 1000:03d}"
    return first17 + check_digit(first17)


def largest_application() -> dict:
    """Every list at its maximum, every string at its maximum length."""
    body = copy.deepcopy(EXAMPLES["A"])
    ids = [_id_number(n) for n in range(MAX_MEMBERS)]
    member = lambda n: {  # noqa: E731
        "id_number": ids[n], "name": "常" * 50, "relation": "self" if n == 0 else "other",
        "monthly_income_fen": 10_000_000, "care_level": body["household"]["members"][0].get("care_level"),
        "disability_grade": 1, "diagnoses": ["x" * 39 + chr(ord("a") + d) for d in range(MAX_DIAGNOSES)],
    }
    body["applicant_id_number"], body["applicant_name"] = ids[0], "常" * 50
    body["household"]["members"] = [member(n) for n in range(MAX_MEMBERS)]
    body["needs"]["medical_bills"] = [
        {"member_id_number": ids[n % MAX_MEMBERS], "total_fen": MAX_MONEY_FEN, "basic_reimbursed_fen": MAX_MONEY_FEN // 2,
         "covered_oop_fen": MAX_MONEY_FEN // 2, "diagnosis": "x" * 40} for n in range(MAX_BILLS)]
    body["needs"]["emergency"] = {"kind": "accident", "loss_fen": MAX_MONEY_FEN, "occurred_on": str(date(2026, 11, 1))}
    body["payout_account"]["number"] = "9" * 30
    body["phone"] = "+8613800000000"
    return {key: value for key, value in body.items() if value is not None}


def test_largest_valid_application_fits_comfortably(system, client):
    body = largest_application()
    compact = json.dumps(body).encode()  # \u-escaped: the longest way to write the names
    indented = json.dumps(body, indent=4).encode()
    assert len(indented) * 4 < MAX_BODY_BYTES, (len(compact), len(indented))
    before = footprint(system)
    answer = client.post(URL, content=indented, headers=JSON)
    assert answer.status_code == 202, answer.text
    check_growth(system, before, {answer.json()["application_id"]})


def padded(size: int) -> bytes:
    """Valid JSON of about `size` bytes: a valid application with a long whitespace run."""
    body = dumps(EXAMPLES["B"])
    return body[:1] + b" " * (size - len(body)) + body[1:]


def test_oversized_body_with_content_length_is_refused_early(system, client):
    body = padded(2 * 1024 * 1024)
    json.loads(body)
    before = footprint(system)
    answer = client.post(URL, content=body, headers=JSON)
    assert answer.status_code == 413
    assert answer.json()[0]["field"] == "body" and "too large" in answer.json()[0]["message"]
    assert footprint(system) == before
    assert_healthy(system)


def test_oversized_content_length_is_refused_before_the_body_is_sent(system):
    """Declared 2 MiB, nothing sent: the 413 comes back at once, so the server did not wait to read."""
    address = urlsplit(system.base)
    with socket.create_connection((address.hostname, address.port), timeout=5) as raw:
        raw.sendall(f"POST {URL} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {2 * 1024 * 1024}\r\n\r\n".encode())
        status_line = raw.recv(4096).split(b"\r\n", 1)[0]
    assert b" 413 " in status_line
    assert_healthy(system)


def test_oversized_chunked_body_is_refused_while_streaming(system, client):
    body = padded(2 * 1024 * 1024)
    sent = 0

    def chunks():
        nonlocal sent
        for start in range(0, len(body), 64 * 1024):
            sent += 64 * 1024
            yield body[start:start + 64 * 1024]

    before = footprint(system)
    answer = client.post(URL, content=chunks(), headers=JSON)
    assert "content-length" not in answer.request.headers and answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 413
    assert answer.json() == [{"field": "body", "message": answer.json()[0]["message"]}]
    assert footprint(system) == before
    assert_healthy(system)


def test_body_at_the_limit_is_read(client):
    """Exactly MAX_BODY_BYTES of valid JSON is not refused for size (it fails later, on its content)."""
    body = padded(MAX_BODY_BYTES)
    assert len(body) == MAX_BODY_BYTES
    answer = client.post(URL, content=body, headers={**JSON, "Idempotency-Key": "x" * 201})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()] != ["body"]


# ---- depth --------------------------------------------------------------------------------------

def test_deeply_nested_array_is_refused(system, client):
    before = footprint(system)
    answer = client.post(URL, content=b"[" * 10_000 + b"]" * 10_000, headers=JSON)
    assert answer.status_code == 422, answer.text
    assert answer.json() == [{"field": "body", "message": answer.json()[0]["message"]}]
    assert "nested too deeply" in answer.json()[0]["message"]
    assert footprint(system) == before


def test_deeply_nested_object_inside_a_field_is_refused(system, client):
    body = copy.deepcopy(EXAMPLES["B"])
    deep: dict = {}
    for _ in range(100):
        deep = {"a": deep}
    body["household"]["members"][0]["name"] = deep
    before = footprint(system)
    answer = client.post(URL, content=json.dumps(body), headers=JSON)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()] == ["body"]
    assert str(MAX_JSON_DEPTH) in answer.json()[0]["message"]
    assert footprint(system) == before


def test_brackets_inside_strings_do_not_count(client):
    body = copy.deepcopy(EXAMPLES["B"])
    body["applicant_name"] = '[{"\\' * 100
    answer = client.post(URL, content=json.dumps(body), headers=JSON)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()] == ["applicant_name"]  # too long, not too deep


def _depth_within(document: bytes, limit: int) -> bool:
    """The parser's view, one byte at a time: the reference the chunked scanner must agree with."""
    depth, in_string, escaped = 0, False, False
    for char in document.decode("latin-1"):
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(pieces=st.lists(st.sampled_from(["[", "]", "{", "}", '"', "\\", "a", ",", "\\\\", '\\"', '"\\']), max_size=80),
       cuts=st.lists(st.integers(1, 9), min_size=1, max_size=20))
def test_depth_scan_agrees_with_the_parser_however_the_body_is_chunked(pieces, cuts):
    document = "".join(pieces).encode()
    scanner, within, at, index = DepthScanner(4), True, 0, 0
    while at < len(document) and within:
        size = cuts[index % len(cuts)]
        within, at, index = scanner.feed(document[at:at + size]), at + size, index + 1
    assert within == _depth_within(document, 4), document


def test_nesting_at_the_limit_is_parsed(client):
    answer = client.post(URL, content=b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, headers=JSON)
    assert answer.status_code == 422
    assert answer.json() == [{"field": "body", "message": "the request body must be a JSON object"}]


# ---- content type, encoding ---------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml", None])
def test_wrong_content_type_is_refused(system, client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    before = footprint(system)
    answer = client.post(URL, content=json.dumps(EXAMPLES["B"]), headers=headers)
    assert answer.status_code == 415
    assert answer.json() == [{"field": "Content-Type", "message": answer.json()[0]["message"]}]
    assert "application/json" in answer.json()[0]["message"]
    assert footprint(system) == before


def test_form_post_is_refused(client):
    answer = client.post(URL, data={"applicant_id_number": "32118119740308022X"})
    assert answer.status_code == 415
    assert answer.json()[0]["field"] == "Content-Type"


@pytest.mark.parametrize("body", [
    json.dumps(EXAMPLES["B"]).encode("utf-16"),
    json.dumps(EXAMPLES["B"]).encode("utf-32"),
    b'{"applicant_name": "\xff\xfe"}',
    b'{"applicant_name": "\xed\xa0\x80"}',  # a UTF-8 encoded surrogate: json.loads would take it
    b'{"applicant_name": "\xe5\xb8"}',  # cut inside a character
])
def test_body_not_utf8_is_refused(system, client, body):
    before = footprint(system)
    answer = client.post(URL, content=body, headers=JSON)
    assert answer.status_code == 422, answer.text
    assert answer.json() == [{"field": "body", "message": answer.json()[0]["message"]}]
    assert "UTF-8" in answer.json()[0]["message"]
    assert footprint(system) == before


# ---- reading ------------------------------------------------------------------------------------

@pytest.mark.parametrize("application_id", ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g", "x" * 5000])
def test_get_with_a_malformed_id_is_422(client, application_id):
    answer = client.get(f"{URL}/{application_id}")
    assert answer.status_code == 422
    check_answer(answer)


def test_get_with_an_unknown_id_is_404(client):
    answer = client.get(f"{URL}/6f1c1a53-3f3e-4b77-9d44-0d6c2a5b1e2f")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "no application with this id"}


# ---- found by the fuzzer ------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"9" * 5000, b'{"household": {"financial_assets_fen": ' + b"9" * 5000 + b"}}"])
def test_number_with_too_many_digits_is_refused(system, client, body):
    """json.loads raises ValueError past 4300 digits, which FastAPI answered with a bare 400."""
    before = footprint(system)
    answer = client.post(URL, content=body, headers=JSON)
    assert answer.status_code == 422, answer.text
    assert answer.json() == [{"field": "body", "message": "malformed JSON: a number has too many digits (at most 4300)"}]
    assert footprint(system) == before


@pytest.mark.parametrize("text", ["a\u0000b", "\ud800", "x\udfffy"])
def test_text_postgres_cannot_store_is_not_a_500(system, client, text):
    body = copy.deepcopy(EXAMPLES["B"])
    body["applicant_name"] = text
    before = footprint(system)
    answer = client.post(URL, content=dumps(body), headers=JSON)
    check_answer(answer, body)
    assert answer.status_code == 422, answer.text
    assert footprint(system) == before


# ---- database away (in process: stopping the shared system's database would disturb other tests) ----

class _DatabaseAway:
    """A pool whose database does not answer, as asyncpg's pool reports it."""

    @contextlib.asynccontextmanager
    async def acquire(self, timeout=None):
        raise ConnectionRefusedError(111, "Connect call failed")
        yield


class _Context:
    pool = _DatabaseAway()

    def __init__(self, keys_dir) -> None:
        self.settings = Settings(kafka_bootstrap_servers="unused", database_url="unused", keys_dir=str(keys_dir))


@pytest.mark.parametrize("method, path", [
    ("POST", URL), ("GET", f"{URL}/6f1c1a53-3f3e-4b77-9d44-0d6c2a5b1e2f"),
    ("GET", f"{URL}/6f1c1a53-3f3e-4b77-9d44-0d6c2a5b1e2f/trace"),
])
def test_database_away_is_503_with_retry_after(method, path, tmp_path):
    token = staff_token(tmp_path, "operator", "e2e-operator")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(_Context(keys_dir(tmp_path))), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake",
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            return await http.request(method, path, json=EXAMPLES["B"] if method == "POST" else None)

    answer = asyncio.run(call())
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert "database is unavailable" in answer.json()["detail"]
