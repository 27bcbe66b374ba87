from pathlib import Path

from services.kit.runner import ServiceSpec
from services.kit.settings import Settings
from services.verification.deadlines import run_sweeper
from services.verification.handlers import HANDLERS


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(name="verification", migrations=(Path(__file__).parent / "migrations",), handlers=HANDLERS,
                       background=(run_sweeper,))
