from pathlib import Path

from services.kit.runner import ServiceSpec
from services.kit.settings import Settings
from services.notification.channels import StoredChannel
from services.notification.handlers import handlers


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="notification",
        migrations=(Path(__file__).parent / "migrations",),
        handlers=handlers(StoredChannel()),
    )
