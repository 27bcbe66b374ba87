"""Notification's service spec. The channel comes from settings: JOINTAID_NOTIFY_WEBHOOK_URL set
means webhook (retried, then the consumer's retry/dead-letter path), otherwise stored only.
JOINTAID_LANGUAGE is the default language for events that carry none (rule in handlers.py)."""
from pathlib import Path

from services.kit.runner import ServiceSpec
from services.kit.settings import Settings
from services.notification.channels import Channel, StoredChannel, WebhookChannel
from services.notification.handlers import handlers


def channel_of(settings: Settings) -> Channel:
    if settings.notify_webhook_url:
        return WebhookChannel(settings.notify_webhook_url, attempts=settings.notify_webhook_attempts,
                              backoff=settings.notify_webhook_backoff)
    return StoredChannel()


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="notification",
        migrations=(Path(__file__).parent / "migrations",),
        handlers=handlers(channel_of(settings), settings.language),
    )
