from services.departments.medical_insurance.handlers import HANDLERS
from services.departments.decisions import DECISIONS_MIGRATIONS
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(name="medical_insurance", migrations=(DECISIONS_MIGRATIONS,), handlers=HANDLERS)
