"""Notification's service spec. The channel comes from settings: JOINTAID_NOTIFY_WEBHOOK_URL set
means webhook (retried, then the consumer's retry/dead-letter path), otherwise stored only.
JOINTAID_LANGUAGE is the default language for events that carry none (rule in handlers.py)."""
from pathlib import Path

from services.kit import consumer
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings
from services.notification.channels import Channel, StoredChannel, WebhookChannel
from services.notification.handlers import deliver, handlers
from services.notification.referrals import Releaser


def channel_of(settings: Settings) -> Channel:
    if settings.notify_webhook_url:
        return WebhookChannel(settings.notify_webhook_url, attempts=settings.notify_webhook_attempts,
                              backoff=settings.notify_webhook_backoff)
    return StoredChannel()


def spec(settings: Settings) -> ServiceSpec:
    channel = channel_of(settings)
    held = Releaser(channel, deliver)  # payment notices waiting for the providers' answers to referrals
    return ServiceSpec(
        name="notification",
        migrations=(Path(__file__).parent / "migrations",),
        handlers=handlers(channel, settings.language, settings.referral_wait_seconds),
        background=(held.run,),
        wake_on={"aid.referral.answered.v1": held.wake},  # a held notice waits for its referrals' answers
        # a webhook POST is an outside effect: in a batch, one failing send would roll back and
        # re-send every message before it; one event per transaction keeps a failure to itself
        max_batch=1 if isinstance(channel, WebhookChannel) else consumer.BATCH_RECORDS,
    )
