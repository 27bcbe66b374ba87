from pathlib import Path

from services.disbursement import advance_flow, appeals, approvals, entitlements
from services.disbursement.deadlines import run_sweeper
from services.disbursement.handlers import handlers
from services.disbursement.rail import InProcessRail
from services.disbursement.settler import Settler
from services.kit.runner import ServiceSpec
from services.kit.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    settler = Settler(InProcessRail(settings.rail_failing_accounts), settings.rail_attempts, settings.rail_backoff_seconds)
    return ServiceSpec(
        name="disbursement",
        migrations=(Path(__file__).parent / "migrations",),
        handlers={**handlers(settings.deadline_seconds), **entitlements.HANDLERS, **advance_flow.HANDLERS,
                  **approvals.HANDLERS, **appeals.HANDLERS},
        background=(settler.run, run_sweeper, appeals.run_sweeper),
        after_commit=(settler.wake,),
    )
