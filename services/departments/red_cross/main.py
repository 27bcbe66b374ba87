from pathlib import Path

from services.departments.red_cross.handlers import HANDLERS
from services.departments.decisions import DECISIONS_MIGRATIONS
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(name="red_cross", migrations=(DECISIONS_MIGRATIONS, Path(__file__).parent / "migrations",), handlers=HANDLERS)
