from pathlib import Path

from services.kit.runner import ServiceSpec
from services.kit.settings import Settings
from services.registries.handlers import HANDLERS

MIGRATIONS = Path(__file__).parent / "migrations"


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(name="registries", migrations=(MIGRATIONS,), handlers=HANDLERS)
