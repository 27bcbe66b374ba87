"""The published contracts (JSON Schemas, AsyncAPI) match the models, and the Envelope holds its shape."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts import routes, topics
from jointaid import registry, schemas
from contracts.envelope import Envelope, new_envelope
from contracts.events import EVENT_MODELS, CaseEscalated
from services.kit.consumer import topic_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return schemas.render_all()


@pytest.fixture(scope="module")
def doc(rendered) -> dict:
    return json.loads(rendered[schemas.ASYNCAPI_PATH])


# ---- (a) no drift ---------------------------------------------------------------------------

def test_committed_contracts_match_the_models(rendered):
    drifted = [path for path, content in rendered.items()
               if not (ROOT / path).is_file() or (ROOT / path).read_bytes() != content.encode("utf-8")]
    stale = schemas.stale_files(ROOT)
    assert not drifted and not stale, (
        "contracts drifted from the models; run `make schemas` (python -m jointaid.schemas) and commit the result.\n"
        f"drifted: {drifted}\nstale: {stale}"
    )


def test_rendering_is_deterministic_and_canonical(rendered):
    assert schemas.render_all() == rendered
    for path, content in rendered.items():
        assert content.endswith("}\n"), path
        assert content == json.dumps(json.loads(content), indent=2, sort_keys=True, ensure_ascii=False) + "\n", path


def test_check_mode_reports_drift_without_writing(tmp_path, capsys):
    assert schemas.drifted(ROOT) == []
    (tmp_path / schemas.SCHEMAS_DIR).mkdir(parents=True)
    (tmp_path / schemas.SCHEMAS_DIR / "old.json").write_text("{}\n")
    bad = schemas.drifted(tmp_path)
    assert set(bad) == set(schemas.render_all()) | {f"{schemas.SCHEMAS_DIR}/old.json"}
    assert sorted(p.name for p in (tmp_path / schemas.SCHEMAS_DIR).iterdir()) == ["old.json"]


# ---- (b) every event type is published ------------------------------------------------------

@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_every_event_type_has_a_schema_and_a_topic(event_type, rendered):
    path = f"{schemas.SCHEMAS_DIR}/{event_type}.json"
    assert path in rendered and (ROOT / path).is_file()
    assert topic_of(event_type) in topics.ALL_TOPICS
    schema = json.loads(rendered[path])
    assert schema["$id"] and schema["title"]
    assert schema["properties"]["event_type"]["const"] == event_type
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(Envelope.model_fields)
    data = schema["properties"]["data"]
    model_schema = EVENT_MODELS[event_type].model_json_schema()
    model_schema.pop("$defs", None)
    assert data == model_schema
    for name in model_schema.get("required", []):
        assert name in data["properties"]


def test_envelope_and_application_schemas_are_published(rendered):
    for name in ("envelope", "application"):
        schema = json.loads(rendered[f"{schemas.SCHEMAS_DIR}/{name}.json"])
        assert schema["$id"] and schema["title"] and schema["$schema"]
    assert json.loads(rendered[f"{schemas.SCHEMAS_DIR}/application.json"])["title"] == "ApplicationIn"


def test_internal_schema_refs_resolve(rendered):
    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for path, content in rendered.items():
        if path == schemas.ASYNCAPI_PATH:
            continue
        schema = json.loads(content)
        for ref in refs(schema):
            assert ref.startswith("#/$defs/"), (path, ref)
            assert ref.removeprefix("#/$defs/") in schema["$defs"], (path, ref)


# ---- (c) the AsyncAPI document covers the system -------------------------------------------

def _resolve(doc: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_asyncapi_header(doc):
    assert doc["asyncapi"].startswith("3.")
    assert doc["info"]["title"] == "jointaid" and doc["info"]["version"]
    assert doc["servers"]["kafka"]["protocol"] == "kafka"


def test_asyncapi_has_a_channel_per_topic_and_event_type(doc):
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert addresses == set(topics.ALL_TOPICS)
    for event_type in EVENT_MODELS:
        channel = doc["channels"][topic_of(event_type)]
        assert event_type in channel["messages"]
        message = _resolve(doc, channel["messages"][event_type]["$ref"])
        schema_ref = message["payload"]["schema"]["$ref"]
        assert (ROOT / "contracts" / schema_ref).resolve() == (ROOT / schemas.SCHEMAS_DIR / f"{event_type}.json").resolve()
        assert "application_id" in message["bindings"]["kafka"]["key"]["description"]


def test_asyncapi_operations_match_producers_and_consumers(doc):
    operations = doc["operations"]
    for op_id, operation in operations.items():
        assert operation["action"] in ("send", "receive")
        service = operation["tags"][0]["name"]
        assert op_id.startswith(f"{service}.{operation['action']}.")
        channel = _resolve(doc, operation["channel"]["$ref"])
        for ref in operation["messages"]:
            assert _resolve(doc, ref["$ref"]) in channel["messages"].values()

    def ops(action: str, topic: str) -> set[str]:
        return {op["tags"][0]["name"] for op in operations.values()
                if op["action"] == action and _resolve(doc, op["channel"]["$ref"])["address"] == topic}

    consumers = registry.consumers()
    assert consumers, "no service declares handlers"
    for event_type, services in consumers.items():
        assert event_type in EVENT_MODELS
        receivers = ops("receive", topic_of(event_type))
        assert receivers, f"{event_type} is consumed but its channel has no receive operation"
        assert set(services) <= receivers
    for event_type in EVENT_MODELS:
        assert ops("send", topic_of(event_type)) >= set(routes.PRODUCERS[event_type]), event_type
    assert ops("send", topics.DLQ) == set(registry.dlq_producers())


def test_consumers_are_read_from_the_services():
    consumers = registry.consumers()
    assert "verification" in consumers["aid.application.submitted.v1"]
    assert {"medical_insurance", "red_cross", "disbursement"} <= set(consumers["aid.decision.made.v1"])
    assert set(routes.PRODUCERS) == set(EVENT_MODELS)


# ---- (d), (e) the Envelope ------------------------------------------------------------------

def _envelope() -> Envelope:
    return new_envelope("aid.case.escalated.v1", uuid.uuid4(), "disbursement",
                        CaseEscalated(reason="deadline passed", missing_layers=(4, 5)))


def test_envelope_round_trips_through_json():
    event = _envelope()
    again = Envelope.model_validate_json(event.model_dump_json())
    assert again == event
    assert again.occurred_at.tzinfo is not None
    assert CaseEscalated.model_validate(again.data) == CaseEscalated(reason="deadline passed", missing_layers=(4, 5))


@pytest.mark.parametrize("event_type", ["decision.made.v1", "aid.decision.made", "aid.Decision.made.v1",
                                        "aid.decision.made.v1 ", "aid.decision-made.v1", ""])
def test_envelope_refuses_a_malformed_event_type(event_type):
    raw = _envelope().model_dump(mode="json") | {"event_type": event_type}
    with pytest.raises(ValidationError) as caught:
        Envelope.model_validate(raw)
    assert [e["loc"] for e in caught.value.errors()] == [("event_type",)]


def test_envelope_refuses_an_extra_field():
    raw = _envelope().model_dump(mode="json") | {"partition": 3}
    with pytest.raises(ValidationError) as caught:
        Envelope.model_validate_json(json.dumps(raw))
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("partition",), "extra_forbidden")]


def test_envelope_refuses_missing_or_malformed_fields():
    good = _envelope().model_dump(mode="json")
    for field in Envelope.model_fields:
        with pytest.raises(ValidationError):
            Envelope.model_validate({k: v for k, v in good.items() if k != field})
    with pytest.raises(ValidationError):
        Envelope.model_validate(good | {"event_id": "not-a-uuid"})
    with pytest.raises(ValidationError):
        Envelope.model_validate(good | {"producer": ""})
    assert datetime.fromisoformat(good["occurred_at"]) <= datetime.now(timezone.utc)
