from pathlib import Path

from services.kit.runner import ServiceSpec
from services.kit.settings import Settings
from services.referrals.answerer import Answerer
from services.referrals.handlers import HANDLERS
from services.referrals.provider import InProcessProvider

MIGRATIONS = Path(__file__).parent / "migrations"


def spec(settings: Settings) -> ServiceSpec:
    answerer = Answerer(InProcessProvider(settings.provider_refused_services))
    return ServiceSpec(name="referrals", migrations=(MIGRATIONS,), handlers=HANDLERS,
                       background=(answerer.run,), after_commit=(answerer.wake,))
