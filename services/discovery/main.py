from services.discovery.handlers import HANDLERS
from services.discovery.store import MIGRATIONS
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(name="discovery", migrations=(MIGRATIONS,), handlers=HANDLERS)
