from services.departments.civil_affairs.handlers import HANDLERS
from services.departments.decisions import DECISIONS_MIGRATIONS
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(name="civil_affairs", migrations=(DECISIONS_MIGRATIONS,), handlers=HANDLERS)
