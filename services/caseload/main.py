from pathlib import Path

from services.caseload.handlers import HANDLERS
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(name="caseload", migrations=(MIGRATIONS,), handlers=HANDLERS)
