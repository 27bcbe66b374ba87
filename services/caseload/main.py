from pathlib import Path

from services.caseload.handlers import HANDLERS
from services.caseload.reviews import ReviewWorker
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def spec(settings: Settings) -> ServiceSpec:
    reviews = ReviewWorker()  # an annual review's chunks, after its request is taken up
    return ServiceSpec(name="caseload", migrations=(MIGRATIONS,), handlers=HANDLERS,
                       background=(reviews.run,),
                       wake_on={"aid.review.requested.v1": reviews.wake})
