"""jointaid: the command line (contract: DESIGN.md "Command line")."""
from __future__ import annotations

import argparse
import asyncio
import sys

from services.kit.settings import SERVICES


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="jointaid",
        description="Joint social assistance: one application in, every department decides, one payment, one message.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run the whole system (embedded broker and database unless configured)",
                             description="Start the broker and database when KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL are "
                             "unset, create topics, apply migrations, run every service as its own process (restarting "
                             "any that dies) and serve the HTTP API. Ctrl-C or SIGTERM stops everything.")
    up.add_argument("--data-dir", default=".jointaid", help="where the database, logs and pid files live (default: .jointaid)")
    up.add_argument("--port", type=int, default=8000, help="HTTP API port on 127.0.0.1 (default: 8000)")
    up.add_argument("--demo", action="store_true", help="submit the four worked examples and print each notification")
    up.add_argument("--partitions", type=int, default=None, help="partitions per topic when created (default: 6)")

    run = commands.add_parser("run", help="run one service alone (what compose runs)",
                              description="Run one service against KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL.")
    run.add_argument("service", choices=SERVICES, help="the service to run")

    audit = commands.add_parser("audit", help="reconcile applications, payments, ledger and notifications",
                                description="Print applications by status, payments, totals per department, and every "
                                "anomaly (an application with zero or several payments or messages, lines that do not add "
                                "up, an unbalanced ledger posting). Exit status 1 when there is an anomaly. Uses "
                                "DATABASE_URL, or the embedded database under --data-dir.")
    audit.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")
    audit.add_argument("--json", action="store_true", help="machine-readable output")
    return root


def main(argv: list[str] | None = None) -> int:
    from services.kit.policy import PolicyError

    args = parser().parse_args(argv)
    try:
        if args.command == "run":
            return run_service(args.service)
        if args.command == "up":
            from jointaid.up import up

            return up(args)
        if args.command == "audit":
            return audit(args)
    except PolicyError as exc:
        print(f"jointaid: the policy file is not valid: {exc}", file=sys.stderr)
        return 2
    return 2


def run_service(name: str) -> int:
    from jointaid.registry import spec_of
    from services.kit.runner import configure_logging, serve
    from services.kit.settings import Settings

    from services.kit.policy import current_policy

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    current_policy()  # refuse to start on a bad policy file
    asyncio.run(serve(spec_of(name, settings), settings))
    return 0


def audit(args) -> int:
    import os

    from jointaid import audit as auditing
    from jointaid.embedded import embedded_database

    if os.environ.get("DATABASE_URL"):
        return auditing.run(os.environ["DATABASE_URL"], args.json)
    with embedded_database(args.data_dir) as url:
        return auditing.run(url, args.json)


if __name__ == "__main__":
    sys.exit(main())
