"""Generate the published contracts from the models (contract: DESIGN.md, "Contracts").

    python -m jointaid.schemas          # (re)write contracts/schemas/*.json and contracts/asyncapi.json
    python -m jointaid.schemas --check  # exit 1 listing drifted files; writes nothing

Outputs (paths relative to the repository root):
- contracts/schemas/<event_type>.json: JSON Schema of the Envelope whose `data` is that event's model;
- contracts/schemas/envelope.json: the Envelope with untyped `data`;
- contracts/schemas/application.json: ApplicationIn, the body of POST /v1/applications;
- contracts/asyncapi.json: AsyncAPI 3.0 for the whole system (one channel per topic; who sends, who receives).

Everything is rendered with sorted keys, 2-space indent and a trailing newline, so the drift
test (tests/unit/test_contracts.py) can compare bytes.
"""
from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts import routes, topics
from contracts.application import ApplicationIn
from contracts.envelope import Envelope
from contracts.events import EVENT_MODELS
from jointaid import registry
from services.kit.consumer import topic_of

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS_DIR = "contracts/schemas"
ASYNCAPI_PATH = "contracts/asyncapi.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
KAFKA_BINDING_VERSION = "0.5.0"
ID_PREFIX = "urn:jointaid:contracts:"


def dump(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


# ---- JSON Schemas --------------------------------------------------------------------------

def _schema_path(name: str) -> str:
    return f"{SCHEMAS_DIR}/{name}.json"


def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="validation", ref_template="#/$defs/{model}")


def _root(schema: dict[str, Any], name: str, title: str, description: str) -> dict[str, Any]:
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{ID_PREFIX}schemas:{name}",
        **schema,
        "title": title,
        "description": description,
    }


def _envelope_base() -> dict[str, Any]:
    schema = _model_schema(Envelope)
    props = schema["properties"]
    props["event_id"]["description"] = "unique id of this event (consumers deduplicate on it)"
    props["event_type"]["description"] = "<topic>.v<version>, e.g. aid.decision.made.v1"
    props["occurred_at"]["description"] = "when the producer created the event (ISO 8601, with offset)"
    props["application_id"]["description"] = "the application this event is about; also the Kafka message key"
    props["producer"]["description"] = "the service that emitted the event"
    return schema


def envelope_schema() -> dict[str, Any]:
    schema = _envelope_base()
    schema["properties"]["data"]["description"] = "the event's payload; its shape depends on event_type"
    return _root(schema, "envelope", "Envelope",
                 "The envelope every jointaid event travels in. `data` is typed per event_type "
                 "in the schema named after the event type.")


def event_schema(event_type: str, model: type[BaseModel]) -> dict[str, Any]:
    """The Envelope with `event_type` fixed and `data` replaced by the model's own schema."""
    schema = _envelope_base()
    data = _model_schema(model)
    defs = data.pop("$defs", {})
    clash = set(defs) & set(schema.get("$defs", {}))
    if clash:  # pragma: no cover - Envelope has no $defs today
        raise RuntimeError(f"schema name clash embedding {model.__name__}: {sorted(clash)}")
    if defs:
        schema["$defs"] = {**schema.get("$defs", {}), **defs}
    schema["properties"]["event_type"] = {**schema["properties"]["event_type"], "const": event_type, "examples": [event_type]}
    schema["properties"]["data"] = data
    return _root(schema, event_type, f"{event_type} ({model.__name__})",
                 f"Envelope of a {event_type} event on topic {topic_of(event_type)}; "
                 f"`data` is {model.__name__}.")


def application_schema() -> dict[str, Any]:
    return _root(_model_schema(ApplicationIn), "application", "ApplicationIn",
                 "The body of POST /v1/applications: one application for the whole household.")


# ---- AsyncAPI ------------------------------------------------------------------------------

_KEY_SCHEMA = {
    "type": "string",
    "format": "uuid",
    "description": "application_id (UTF-8 text of the UUID): every event of an application lands on one partition, in order",
}

_DLQ_MESSAGE = "dead_letter"
_DLQ_HEADERS = {
    "type": "object",
    "properties": {
        "x-error": {"type": "string", "description": "why the event was dead-lettered (no input values echoed)"},
        "x-origin-topic": {"type": "string", "description": "topic the event was read from"},
        "x-origin-partition": {"type": "string", "description": "partition it was read from"},
        "x-origin-offset": {"type": "string", "description": "offset it was read from"},
        "x-consumer": {"type": "string", "description": "the service that gave up on it"},
    },
    "required": ["x-error", "x-origin-topic", "x-origin-partition", "x-origin-offset", "x-consumer"],
}


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def _routing_headers(event_type: str) -> dict[str, Any]:
    """What routes.routing_headers publishes with each event, so a consumer may skip without decoding."""
    properties = {
        routes.EVENT_TYPE_HEADER: {"type": "string", "const": event_type, "description": "the envelope's event_type"},
        "traceparent": {"type": "string", "description": "W3C trace context of the publish span"},
    }
    if event_type == "aid.decision.made.v1":
        properties[routes.LAYER_HEADER] = {"type": "string", "enum": ["1", "2", "3", "4", "5"],
                                           "description": "the decision's layer"}
    return {"type": "object", "properties": properties}


def _op_id(service: str, action: str, topic: str) -> str:
    return f"{service}.{action}.{topic}"


def asyncapi() -> dict[str, Any]:
    consumers = registry.consumers()
    by_topic: dict[str, list[str]] = {topic: [] for topic in topics.ALL_TOPICS}
    for event_type in sorted(EVENT_MODELS):
        by_topic.setdefault(topic_of(event_type), []).append(event_type)

    messages: dict[str, Any] = {}
    for event_type, model in sorted(EVENT_MODELS.items()):
        messages[event_type] = {
            "name": event_type,
            "title": model.__name__,
            "summary": (model.__doc__ or model.__name__).strip().splitlines()[0],
            "contentType": "application/json",
            "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": {"$ref": f"./schemas/{event_type}.json"}},
            "headers": _routing_headers(event_type),
            "bindings": {"kafka": {"key": _KEY_SCHEMA, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
    messages[_DLQ_MESSAGE] = {
        "name": _DLQ_MESSAGE,
        "title": "Dead letter",
        "summary": "An event a consumer could not parse or handle, copied byte for byte, with the reason in headers.",
        "contentType": "application/json",
        "headers": _DLQ_HEADERS,
        "payload": {"description": "the original message body, unchanged (it may not be a valid Envelope)"},
        "bindings": {"kafka": {"key": _KEY_SCHEMA, "bindingVersion": KAFKA_BINDING_VERSION}},
    }

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}

    def add_operation(service: str, action: str, topic: str, message_ids: list[str]) -> None:
        operation: dict[str, Any] = {
            "action": action,
            "channel": _ref("channels", topic),
            "messages": [_ref("channels", topic, "messages", m) for m in message_ids],
            "tags": [{"name": service}],
            "summary": f"{service} {'publishes' if action == 'send' else 'consumes'} {', '.join(message_ids)}",
        }
        if action == "receive":
            operation["bindings"] = {"kafka": {"groupId": {"type": "string", "enum": [service]},
                                               "bindingVersion": KAFKA_BINDING_VERSION}}
        operations[_op_id(service, action, topic)] = operation

    for topic, event_types in by_topic.items():
        message_ids = event_types if topic != topics.DLQ else [_DLQ_MESSAGE]
        channels[topic] = {
            "address": topic,
            "title": topic,
            "description": (f"Events {', '.join(event_types)}, keyed by application_id."
                            if topic != topics.DLQ else
                            "Dead letters from every consumer, keyed by the original key (application_id)."),
            "messages": {m: _ref("components", "messages", m) for m in message_ids},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        if topic == topics.DLQ:
            senders = {service: [_DLQ_MESSAGE] for service in registry.dlq_producers()}
            receivers: dict[str, list[str]] = {}
        else:
            senders, receivers = {}, {}
            for event_type in event_types:
                for service in routes.PRODUCERS.get(event_type, ()):
                    senders.setdefault(service, []).append(event_type)
                for service in consumers.get(event_type, ()):
                    receivers.setdefault(service, []).append(event_type)
        for service, ids in sorted(senders.items()):
            add_operation(service, "send", topic, ids)
        for service, ids in sorted(receivers.items()):
            add_operation(service, "receive", topic, ids)

    services = sorted({*registry.dlq_producers(), *(s for ss in routes.PRODUCERS.values() for s in ss)})
    return {
        "asyncapi": "3.0.0",
        "id": f"{ID_PREFIX}asyncapi",
        "info": {
            "title": "jointaid",
            "version": _version(),
            "description": (
                "Event-driven multi-department social assistance. Every message is an Envelope "
                "(contracts/schemas/envelope.json) keyed by application_id; each service consumes "
                "with its own consumer group (the service's name). Generated by `python -m jointaid.schemas`."
            ),
            "tags": [{"name": service, "description": f"the {service} service"} for service in services],
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "Kafka bootstrap servers (KAFKA_BOOTSTRAP_SERVERS; `jointaid up` starts an embedded broker)",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


# ---- rendering -----------------------------------------------------------------------------

def render_all() -> dict[str, str]:
    """Every generated file: path relative to the repository root -> exact content."""
    out = {_schema_path(event_type): dump(event_schema(event_type, model))
           for event_type, model in sorted(EVENT_MODELS.items())}
    out[_schema_path("envelope")] = dump(envelope_schema())
    out[_schema_path("application")] = dump(application_schema())
    out[ASYNCAPI_PATH] = dump(asyncapi())
    return dict(sorted(out.items()))


def stale_files(root: Path = ROOT) -> list[str]:
    """JSON files in contracts/schemas that the generator no longer produces."""
    wanted = set(render_all())
    directory = root / SCHEMAS_DIR
    if not directory.is_dir():
        return []
    return sorted(p for p in (f"{SCHEMAS_DIR}/{f.name}" for f in directory.glob("*.json")) if p not in wanted)


def drifted(root: Path = ROOT) -> list[str]:
    """Generated files that are missing or differ on disk, and stale ones."""
    out = []
    for path, content in render_all().items():
        target = root / path
        if not target.is_file() or target.read_bytes() != content.encode("utf-8"):
            out.append(path)
    return sorted(out + stale_files(root))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jointaid.schemas", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 listing drifted files; write nothing")
    args = parser.parse_args(argv)
    if args.check:
        bad = drifted()
        if bad:
            print("contracts drifted from the models (run `make schemas`):", file=sys.stderr)
            for path in bad:
                print(f"  {path}", file=sys.stderr)
            return 1
        print("contracts up to date")
        return 0
    for path in stale_files():
        (ROOT / path).unlink()
        print(f"removed {path}")
    for path, content in render_all().items():
        target = ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != content.encode("utf-8"):
            target.write_bytes(content.encode("utf-8"))
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
