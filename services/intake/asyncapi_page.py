"""The AsyncAPI document as one plain HTML page: servers, channels with who sends and who receives,
messages with their payload fields read from the JSON Schemas. Server-rendered, no script.

Every value from the document or a schema passes through `text` (html.escape), so a description
holding markup shows as text. Links are relative (`asyncapi`, `schemas/X.json`): the page sits
beside the JSON document it renders.
"""
from __future__ import annotations

import json
import posixpath
from html import escape
from pathlib import Path
from string import Template
from typing import Any, Iterator
from urllib.parse import unquote

PAGE = Template((Path(__file__).parent / "asyncapi_page.html").read_text(encoding="utf-8"))
MAX_DEPTH = 6  # nested objects shown as data.a.b...; deeper (or cyclic) ones stop there
CONSTRAINTS = (("minimum", "min"), ("maximum", "max"), ("minLength", "min length"), ("maxLength", "max length"),
               ("minItems", "min items"), ("maxItems", "max items"), ("pattern", "pattern"))
Row = tuple[str, str, bool, str]  # field name, type, required, description


def text(value: Any) -> str:
    """Anything from the document, made safe for HTML text and attribute values."""
    return escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), quote=True)


# ---- JSON pointers and refs ----------------------------------------------------------------

def pointer(root: Any, fragment: str) -> Any:
    """The node `#/a/b` names in root, or None."""
    node = root
    for part in filter(None, unquote(fragment).lstrip("/").split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def last_segment(ref: str) -> str:
    return unquote(ref.rsplit("/", 1)[-1]).replace("~1", "/").replace("~0", "~")


def local(node: Any, root: Any) -> Any:
    """Follow a `#/...` ref inside the same schema (pydantic's $defs); anything else as it is."""
    for _ in range(MAX_DEPTH):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            return node
        target = pointer(root, ref[1:])
        if not isinstance(target, dict):
            return node
        node = target
    return node


def schema_file(ref: str, schemas: dict[str, Any]) -> tuple[Any, Any]:
    """`./schemas/X.json[#/ptr]` -> (that file's schema, the node it names); (None, None) if it is not one of ours."""
    path, _, fragment = ref.partition("#")
    folder, _, name = posixpath.normpath(path).rpartition("/")
    root = schemas.get(name) if folder == "schemas" else None
    return root, (pointer(root, fragment) if root is not None else None)


# ---- schema -> table rows ------------------------------------------------------------------

def type_of(node: Any, root: Any) -> str:
    if not isinstance(node, dict):
        return "any"
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = local(node, root)
        name = last_segment(ref)
        if isinstance(target, dict) and "enum" in target:
            return f"{name}: " + " | ".join(json.dumps(v, ensure_ascii=False) for v in target["enum"])
        return name
    if "const" in node:
        return json.dumps(node["const"], ensure_ascii=False)
    if "enum" in node:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in node["enum"])
    for combinator in ("anyOf", "oneOf"):
        if combinator in node:
            return " or ".join(type_of(choice, root) for choice in node[combinator])
    kind = node.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(map(str, kind))
    if kind == "array" and isinstance(node.get("items"), dict):
        return f"array of {type_of(node['items'], root)}"
    return f"{kind} ({node['format']})" if "format" in node else str(kind)


def description_of(node: Any, root: Any) -> str:
    if not isinstance(node, dict):
        return ""
    target = local(node, root)
    parts = [node.get("description") or (target.get("description") if isinstance(target, dict) else None) or ""]
    shown = node if "$ref" not in node else {**target, **node}
    limits = [f"{label} {shown[key] if isinstance(shown[key], str) else json.dumps(shown[key])}"
              for key, label in CONSTRAINTS if key in shown]
    if limits:
        parts.append(", ".join(limits))
    if "default" in node:
        parts.append(f"default {json.dumps(node['default'], ensure_ascii=False)}")
    return " · ".join(p for p in parts if p)


def nested_object(node: Any, root: Any) -> tuple[Any, str]:
    """The object schema a field holds (through refs, arrays, `X or null`), with the name suffix for arrays."""
    node = local(node, root)
    if not isinstance(node, dict):
        return None, ""
    choices = [c for c in node.get("anyOf", node.get("oneOf", ())) if isinstance(c, dict) and c.get("type") != "null"]
    if len(choices) == 1:
        return nested_object(choices[0], root)
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        inner, suffix = nested_object(node["items"], root)
        return inner, "[]" + suffix
    return (node, "") if isinstance(node.get("properties"), dict) else (None, "")


def field_rows(schema: Any, root: Any, prefix: str = "", depth: int = 0, seen: frozenset[int] = frozenset()) -> Iterator[Row]:
    """One row per property, descending into nested objects as `parent.child` (`parent[].child` for arrays)."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH or id(schema) in seen:
        return
    required = set(schema.get("required", ()))
    for name, prop in (schema.get("properties") or {}).items():
        yield f"{prefix}{name}", type_of(prop, root), name in required, description_of(prop, root)
        inner, suffix = nested_object(prop, root)
        if inner is not None:
            yield from field_rows(inner, root, f"{prefix}{name}{suffix}.", depth + 1, seen | {id(schema)})


def fields_table(rows: list[Row]) -> str:
    if not rows:
        return ""
    body = "".join(f'<tr><td class="mono">{text(name)}</td><td class="mono">{text(kind)}</td>'
                   f'<td>{"yes" if required else ""}</td><td>{text(description)}</td></tr>'
                   for name, kind, required, description in rows)
    return f"<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>{body}</table>"


# ---- sections ------------------------------------------------------------------------------

def servers_section(document: dict) -> str:
    rows = "".join(f'<tr><td>{text(name)}</td><td class="mono">{text(server.get("host", ""))}</td>'
                   f'<td>{text(server.get("protocol", ""))}</td><td>{text(server.get("description", ""))}</td></tr>'
                   for name, server in (document.get("servers") or {}).items())
    return f"<table><tr><th>server</th><th>host</th><th>protocol</th><th>description</th></tr>{rows}</table>"


def message_link(channel: dict, key: str) -> str:
    """A channel's message key -> link to the message's section (`#/components/messages/<id>`)."""
    entry = (channel.get("messages") or {}).get(key)
    ref = entry.get("$ref") if isinstance(entry, dict) else None
    target = last_segment(ref) if isinstance(ref, str) else key
    return f'<a href="#message-{text(target)}">{text(key)}</a>'


def channel_section(channel_id: str, channel: dict, operations: list[tuple[str, dict]]) -> str:
    rows = []
    # senders first, then receivers: reads as the flow of the event
    for operation_id, operation in sorted(operations, key=lambda item: (item[1].get("action") != "send", item[0])):
        who = ", ".join(tag.get("name", "") for tag in operation.get("tags", ()) if isinstance(tag, dict)) or operation_id
        messages = ", ".join(message_link(channel, last_segment(ref["$ref"]))
                             for ref in operation.get("messages", ()) if isinstance(ref, dict) and "$ref" in ref)
        verb = {"send": "sends", "receive": "receives"}.get(operation.get("action"), operation.get("action", ""))
        rows.append(f'<tr><td>{text(who)}</td><td>{text(verb)}</td><td>{messages}</td>'
                    f'<td class="mono muted">{text(operation_id)}</td></tr>')
    table = ("<table><tr><th>service</th><th>action</th><th>messages</th><th>operation</th></tr>"
             f"{''.join(rows)}</table>") if rows else '<p class="muted">no operations</p>'
    carried = ", ".join(message_link(channel, key) for key in channel.get("messages") or {})
    return (f'<section id="channel-{text(channel_id)}"><h3>{text(channel.get("address") or channel_id)}</h3>'
            f'<p>{text(channel.get("description", ""))}</p><p>messages: {carried}</p>{table}</section>')


def message_section(message_id: str, message: dict, schemas: dict[str, Any]) -> str:
    parts = [f'<section id="message-{text(message_id)}"><h3>{text(message.get("name", message_id))}'
             f' <span class="muted">{text(message.get("title", ""))}</span></h3>',
             f'<p>{text(message["summary"])}</p>' if message.get("summary") not in (None, "", message.get("title")) else ""]
    key = ((message.get("bindings") or {}).get("kafka") or {}).get("key")
    if isinstance(key, dict):
        parts.append(f'<p>Kafka key: <span class="mono">{text(type_of(key, key))}</span> · {text(key.get("description", ""))}</p>')
    if isinstance(message.get("headers"), dict):
        parts.append("<h4>headers</h4>" + fields_table(list(field_rows(message["headers"], message["headers"]))))
    payload = message.get("payload")
    schema = payload.get("schema", payload) if isinstance(payload, dict) and "schemaFormat" in payload else payload
    parts.append(f'<h4>payload <span class="muted">{text(message.get("contentType", ""))}</span></h4>')
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str):
        root, node = schema_file(ref, schemas)
        # a link only to one of our schema files: a ref is never turned into some other URL to click
        parts.append(f'<p><a class="mono" href="{text(ref)}">{text(ref)}</a></p>' if root is not None
                     else f'<p class="mono">{text(ref)}</p>')
        schema = node if node is not None else {"description": "(schema not found)"}
    else:
        root = schema
    if isinstance(schema, dict):
        if schema.get("description"):
            parts.append(f"<p>{text(schema['description'])}</p>")
        parts.append(fields_table(list(field_rows(schema, root))))
    return "".join(parts) + "</section>"


def render(document: dict, schemas: dict[str, Any]) -> str:
    """The whole page. `schemas` maps file names in contracts/schemas/ to their parsed JSON."""
    info = document.get("info") or {}
    operations_by_channel: dict[str, list[tuple[str, dict]]] = {}
    for operation_id, operation in (document.get("operations") or {}).items():
        channel_ref = (operation.get("channel") or {}).get("$ref", "")
        operations_by_channel.setdefault(last_segment(channel_ref), []).append((operation_id, operation))
    channels = document.get("channels") or {}
    messages = (document.get("components") or {}).get("messages") or {}
    body = "".join([
        f'<p>{text(info.get("description", ""))}</p>',
        "<h2 id=\"servers\">Servers</h2>", servers_section(document),
        "<h2 id=\"channels\">Channels</h2>",
        *(channel_section(cid, channel, operations_by_channel.get(cid, [])) for cid, channel in channels.items()),
        "<h2 id=\"messages\">Messages</h2>",
        *(message_section(mid, message, schemas) for mid, message in messages.items()),
    ])
    return PAGE.substitute(title=text(info.get("title", "AsyncAPI")), version=text(info.get("version", "")),
                           asyncapi=text(document.get("asyncapi", "")), body=body)
