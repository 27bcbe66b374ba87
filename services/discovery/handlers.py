"""Discovery's handlers: signals posted through the API are loaded as a file's are; a household's answer closes its lead."""
from __future__ import annotations

import logging

from pydantic import ValidationError

from contracts.events import LeadConsented, SignalsSubmitted
from contracts.signals import SignalLine
from services.discovery import bulk, store
from services.kit.consumer import Tx
from services.kit.policy import today_in_shanghai

log = logging.getLogger(__name__)


async def on_signals_submitted(tx: Tx, event, submitted: SignalsSubmitted) -> None:
    """The same loader as `jointaid monitor import`, as of today. Intake checked every line; one that no longer
    passes (a contract changed in between) is counted in the log, never shown."""
    signals, refused = [], 0
    for raw in submitted.signals:
        try:
            signals.append(SignalLine.model_validate(raw))
        except ValidationError:
            refused += 1
    if refused:
        log.warning("discovery: %d of %d posted signals no longer pass the contract; not loaded", refused,
                    len(submitted.signals))
    if signals:
        done = await bulk.load_signals(tx.conn, signals, today_in_shanghai())
        log.info("discovery: %d posted signals, %d new, %d of unknown people, %d leads raised", done.staged,
                 done.loaded, done.unknown, done.leads)


async def on_lead_consented(tx: Tx, event, consented: LeadConsented) -> None:
    """Close the lead with the answer, once; a refusal looks nothing more up (nothing here does)."""
    closed = await store.close_lead(tx.conn, consented.lead_id, consented.given, consented.application_id)
    if closed is not None:
        await tx.emit(store.CLOSED, closed, key=consented.lead_id)


HANDLERS = {
    "aid.signals.submitted.v1": on_signals_submitted,
    "aid.lead.consented.v1": on_lead_consented,
}
