from pathlib import Path

from services.kit.runner import ServiceSpec
from services.kit.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def spec(settings: Settings) -> ServiceSpec:
    from services.discovery.handlers import HANDLERS  # the loader imports MIGRATIONS from here

    return ServiceSpec(name="discovery", migrations=(MIGRATIONS,), handlers=HANDLERS)
