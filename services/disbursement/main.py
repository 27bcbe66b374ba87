from pathlib import Path

from services.disbursement.handlers import handlers
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="disbursement",
        migrations=(Path(__file__).parent / "migrations",),
        handlers=handlers(settings.deadline_seconds),
    )
