"""The served AsyncAPI document holds over HTTP: every $ref, followed from its own URL, answers and resolves;
the HTML page names every channel and escapes what it shows; nothing outside contracts/schemas/ is served."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.intake import api_docs, asyncapi_page

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://testserver"
DOCUMENT_URL = f"{BASE}/docs/asyncapi"


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    api_docs.install(app)
    return TestClient(app)


def refs(node):
    """Every $ref string in a JSON document (a property merely named "$ref" holds an object, not a string)."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def follow(document, fragment: str):
    """RFC 6901 pointer of a URI fragment (percent-decoded first); KeyError/IndexError if it names nothing."""
    node = document
    if not fragment:
        return node
    assert fragment.startswith("/"), fragment
    for part in unquote(fragment)[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def walk(client: TestClient, start: str) -> tuple[dict[str, object], list[tuple[str, str]], int]:
    """Fetch start and every document its refs reach. -> (url -> document, every (from url, ref), external refs)."""
    documents: dict[str, object] = {}
    every: list[tuple[str, str]] = []
    external = 0

    def fetch(url: str):
        if url not in documents:
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.status_code, answer.text[:200])
            assert answer.headers["content-type"].startswith("application/json"), url
            documents[url] = answer.json()
        return documents[url]

    queue = [start]
    fetch(start)
    while queue:
        url = queue.pop()
        for ref in refs(documents[url]):
            every.append((url, ref))
            target, fragment = urldefrag(urljoin(url, ref))
            if target != url:
                external += 1
                if target not in documents:
                    queue.append(target)
            try:
                follow(fetch(target), fragment)
            except (KeyError, IndexError, ValueError, TypeError):
                pytest.fail(f"{ref} (in {url}) names nothing in {target}")
    return documents, every, external


# ---- the JSON document and its refs ---------------------------------------------------------

def test_the_document_is_the_generated_file_byte_for_byte(client):
    answer = client.get("/docs/asyncapi")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.content == (ROOT / "contracts" / "asyncapi.json").read_bytes()
    assert "asyncapi.html" in answer.headers["link"]


def test_every_ref_resolves_over_http_from_its_own_url(client):
    documents, every, external = walk(client, DOCUMENT_URL)
    assert external > 0, "no external ref followed: the walk proved nothing"
    schema_urls = {url for url in documents if url != DOCUMENT_URL}
    document = documents[DOCUMENT_URL]
    payload_files = {message["payload"]["schema"]["$ref"] for message in document["components"]["messages"].values()
                     if "schema" in message["payload"]}
    assert schema_urls == {urljoin(DOCUMENT_URL, ref) for ref in payload_files}
    assert all(url.startswith(f"{BASE}/docs/schemas/") for url in schema_urls)
    # the schemas' own refs were walked too, from the schemas' URLs
    assert any(url in schema_urls and ref.startswith("#/$defs/") for url, ref in every)


def test_the_refs_hold_on_disk_too(client):
    """The same relative refs, read beside contracts/asyncapi.json, name files in contracts/schemas/."""
    document = json.loads((ROOT / "contracts" / "asyncapi.json").read_text(encoding="utf-8"))
    external = [ref for ref in refs(document) if not ref.startswith("#")]
    assert external
    for ref in external:
        path = (ROOT / "contracts" / urldefrag(ref)[0]).resolve()
        assert path.parent == (ROOT / "contracts" / "schemas").resolve() and path.is_file(), ref


def test_schemas_are_served_as_they_are_on_disk(client):
    for path in sorted((ROOT / "contracts" / "schemas").glob("*.json")):
        answer = client.get(f"/docs/schemas/{path.name}")
        assert answer.status_code == 200, path.name
        assert answer.content == path.read_bytes(), path.name


@pytest.mark.parametrize("path", [
    "/docs/schemas/../asyncapi.json",      # the client normalizes this one away: still nothing there
    "/docs/schemas/..%2Fasyncapi.json",
    "/docs/schemas/..%2F..%2Fpyproject.toml",
    "/docs/schemas/%2e%2e",                # reaches the handler as name=".." (a bare ".." the client would normalize)
    "/docs/schemas/nope.json",
    "/docs/schemas/envelope",
    "/docs/schemas/ENVELOPE.JSON",
    "/docs/schemas/",
])
def test_anything_else_under_schemas_is_404_json(client, path):
    answer = client.get(path)
    assert answer.status_code == 404, path
    assert "detail" in answer.json()


# ---- the HTML page --------------------------------------------------------------------------

def test_the_page_shows_every_channel_operation_and_message(client):
    answer = client.get("/docs/asyncapi.html")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    document = client.get("/docs/asyncapi").json()
    assert 'href="asyncapi"' in page
    assert "<script" not in page.lower()
    assert document["info"]["title"] in page and document["info"]["version"] in page
    for channel_id, channel in document["channels"].items():
        assert f'id="channel-{channel_id}"' in page and f"<h3>{channel['address']}</h3>" in page, channel_id
    for operation_id in document["operations"]:
        assert operation_id in page
    for message_id, message in document["components"]["messages"].items():
        assert f'id="message-{message_id}"' in page, message_id
        schema = message["payload"].get("schema")
        if schema:
            assert f'href="{schema["$ref"]}"' in page  # relative: from /docs/asyncapi.html to /docs/schemas/
    assert ">data.rule<" in page and ">data.reason<" in page  # payload fields come from the schema files


def test_payload_fields_carry_type_required_and_description():
    schema = {"type": "object", "required": ["when"], "$defs": {"Lang": {"enum": ["zh", "en"], "type": "string"}},
              "properties": {"when": {"type": "string", "format": "date-time", "description": "the moment"},
                             "language": {"$ref": "#/$defs/Lang", "default": "zh"},
                             "lines": {"type": "array", "items": {"type": "object", "required": ["n"],
                                                                  "properties": {"n": {"type": "integer", "minimum": 0}}}}}}
    rows = {name: (kind, required, description) for name, kind, required, description in asyncapi_page.field_rows(schema, schema)}
    assert rows["when"] == ("string (date-time)", True, "the moment")
    assert rows["language"] == ('Lang: "zh" | "en"', False, 'default "zh"')
    assert rows["lines"][0] == "array of object"
    assert rows["lines[].n"] == ("integer", True, "min 0")


def test_a_cyclic_schema_ends():
    schema = {"$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
              "type": "object", "properties": {"head": {"$ref": "#/$defs/Node"}}}
    rows = list(asyncapi_page.field_rows(schema, schema))
    assert rows[0][0] == "head" and len(rows) <= asyncapi_page.MAX_DEPTH + 2


def test_everything_from_the_document_is_escaped():
    hostile = '<script>alert("x")</script>'
    schema = {"type": "object", "required": [hostile],
              "properties": {hostile: {"type": "string", "description": hostile, "default": hostile}}}
    document = {
        "asyncapi": "3.0.0", "info": {"title": hostile, "version": hostile, "description": hostile},
        "servers": {hostile: {"host": hostile, "protocol": hostile, "description": hostile}},
        "channels": {hostile: {"address": hostile, "description": hostile,
                               "messages": {hostile: {"$ref": "#/components/messages/m"}}}},
        "operations": {hostile: {"action": "send", "channel": {"$ref": "#/channels/x"}, "tags": [{"name": hostile}],
                                 "messages": [{"$ref": f"#/channels/x/messages/{hostile}"}]}},
        "components": {"messages": {"m": {"name": hostile, "title": hostile, "summary": hostile,
                                          "payload": {"schemaFormat": "x", "schema": {"$ref": "./schemas/evil.json"}}},
                                    "inline": {"name": "inline", "headers": schema, "payload": schema}}},
    }
    page = asyncapi_page.render(document, {"evil.json": schema})
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    assert asyncapi_page.text('"><img src=x onerror=1>') == "&quot;&gt;&lt;img src=x onerror=1&gt;"
