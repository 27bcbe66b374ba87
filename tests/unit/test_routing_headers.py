"""Routing headers: a consumer skips, from the headers alone, what none of its handlers acts on."""
from __future__ import annotations

from contracts.routes import EVENT_TYPE_HEADER, LAYER_HEADER
from services.departments.medical_insurance.handlers import HANDLERS as MEDICAL
from services.disbursement.handlers import handlers as disbursement_handlers
from services.kit.consumer import skipped_by_headers


def headers(event_type: str, layer: int | None = None) -> list[tuple[str, bytes]]:
    found = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
             (EVENT_TYPE_HEADER, event_type.encode())]
    return found + ([(LAYER_HEADER, str(layer).encode())] if layer is not None else [])


def test_a_department_skips_the_other_layers_decisions_without_decoding():
    assert not skipped_by_headers(headers("aid.decision.made.v1", 1), MEDICAL)  # medical acts on layer 1
    assert all(skipped_by_headers(headers("aid.decision.made.v1", layer), MEDICAL) for layer in (2, 3, 4, 5))


def test_an_event_type_without_a_handler_is_skipped():
    assert skipped_by_headers(headers("aid.payment.issued.v1"), MEDICAL)


def test_a_consumer_of_every_layer_skips_none():
    every = disbursement_handlers(60.0)
    assert not any(skipped_by_headers(headers("aid.decision.made.v1", layer), every) for layer in range(1, 6))


def test_a_message_without_routing_headers_is_decoded_and_judged_after():
    assert not skipped_by_headers(None, MEDICAL)
    assert not skipped_by_headers([("traceparent", b"x")], MEDICAL)
    assert not skipped_by_headers([(EVENT_TYPE_HEADER, b"aid.decision.made.v1")], MEDICAL)  # no layer: decode
