"""jointaid: the command line (contract: DESIGN.md "Command line")."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys

from services.intake.tokens import STAFF_ROLES
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
    up.add_argument("--partitions", type=int, default=None, help="partitions per topic when created (default: the embedded broker 2, or the largest --replicas; an outside broker JOINTAID_PARTITIONS, else 6)")
    up.add_argument("--replicas", action="append", default=[], metavar="SERVICE=N",
                    help="run N processes of SERVICE in its one consumer group (repeatable; N ≤ the partitions of "
                    "every topic it reads, checked at start-up; intake's replicas share the HTTP port)")

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

    redrive = commands.add_parser("redrive", help="publish again every service's events of one application",
                                  description="Mark every outbox event of APPLICATION_ID, in every service, for publishing "
                                  "again; the running services' relays send them and the inboxes drop what was applied "
                                  "already. Use it for an application stuck after a broker lost messages.")
    redrive.add_argument("application_id", help="the application's id")
    redrive.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")

    dlq = commands.add_parser("dlq", help="list dead-lettered messages, or replay one after a fix",
                              description="Messages that failed validation or kept failing go to aid.dlq with the error "
                              "in headers. `list` shows them; `replay ID` publishes one again to the topic it came from.")
    dlq.add_argument("action", choices=("list", "replay"))
    dlq.add_argument("message_id", nargs="?", help="PARTITION:OFFSET on aid.dlq, as `list` shows it (for replay)")
    dlq.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")

    token = commands.add_parser("token", help="print a staff token signed with the embedded key",
                                description="Print one signed token (EdDSA) for ROLE, on the last line of stdout. It is "
                                "signed with the key of --data-dir (created there if missing: the key `jointaid up` "
                                "verifies with). Give it as `Authorization: Bearer <token>`, or paste it in the console's "
                                "login page. Citizens get theirs from POST /v1/applications.")
    token.add_argument("--role", required=True, choices=[r for r in STAFF_ROLES], help="the role the token carries")
    token.add_argument("--subject", required=True, help="who it is for (recorded in the access log), e.g. caseworker-li")
    token.add_argument("--ttl", default="8h", help="how long it is valid: 30m, 8h, 7d (default: 8h)")
    token.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")

    registry = commands.add_parser("registry", help="the departments' registries (population, income, assets, disability)",
                                   description="Load what the departments' registries hold into the registries service, "
                                   "which answers verification's questions about people.")
    registry_actions = registry.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = registry_actions.add_parser(
        "import", help="load people from a JSON-lines file, one person a line",
        description="Load FILE.jsonl: one person a line, with id_number, household_id, hukou_region, alive, "
        "disability_grade (1-4 or null), monthly_income_fen, financial_assets_fen, vehicles (JSON Schema: RegistryRecord). "
        "A later line for the same person replaces the earlier; the file replaces what the registries held; an "
        "unchanged person is not rewritten. A line that breaks a rule is refused with its number and the rule, and the "
        "rest is loaded, all in one transaction. Progress on stderr, a summary on stdout. Exit status 0 when loaded "
        "(refused lines are in the summary), 2 when the file cannot be read (nothing loaded). Uses DATABASE_URL, or "
        "the embedded database under --data-dir.")
    load.add_argument("file", metavar="FILE.jsonl", help="the file to load")
    load.add_argument("--json", action="store_true", help="machine-readable summary, with every refused line")
    load.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")

    caseload = commands.add_parser("caseload", help="the caseload: households receiving aid month after month",
                                   description="Move an existing caseload in (a region adopting the system).")
    caseload_actions = caseload.add_subparsers(dest="action", required=True, metavar="ACTION")
    moved = caseload_actions.add_parser(
        "import", help="move households in from a JSON-lines file, one household a line",
        description="Load FILE.jsonl: one household a line, with applicant_id_number, members (id_number, name, relation, "
        "monthly_income_fen, care_level?, disability_grade?), status (extreme_poverty, mla, low_income), enrolled_on, "
        "region_code, payout_account {kind, number}. Where the registries know a member, their figures win; the monthly "
        "amount is computed by the rules of the policy in force today, never imported; runs pay from next month. One "
        "household per applicant: a later line replaces an earlier one, an unchanged household is left alone (no "
        "history row, no event), so importing the same file twice changes nothing. A line that breaks a rule is "
        "refused with its number and the rule, and the rest is loaded, all in one transaction; each new or changed "
        "household gets an aid.recipient.changed event. Progress on stderr, a summary on stdout. Exit status 0 when "
        "every line was loaded, 1 when some were refused (the rest is loaded), 2 when the file cannot be read "
        "(nothing loaded). Uses DATABASE_URL, or the embedded database under --data-dir.")
    moved.add_argument("file", metavar="FILE.jsonl", help="the file to load")
    moved.add_argument("--json", action="store_true", help="machine-readable summary, with every refused line")
    moved.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")

    monitor = commands.add_parser("monitor", help="monitoring signals: policy finds the person",
                                  description="Load departments' monitoring signals; the lead rules of the policy raise "
                                  "leads for the households they point to.")
    monitor_actions = monitor.add_subparsers(dest="action", required=True, metavar="ACTION")
    signals = monitor_actions.add_parser(
        "import", help="load signals from a CSV or Parquet file and raise leads",
        description="Load FILE (CSV with a header line, or Parquet): columns id_number, signal (medical_spending, "
        "income_drop, disability, death, report), amount_fen (medical_spending: the bill's out-of-pocket spending; "
        "income_drop: the person's new monthly income), observed_on (YYYY-MM-DD), source, and optionally grade "
        "(disability, 1-4). A row that breaks a rule is refused with its row number (a CSV's line number) and the rule, "
        "and the rest is loaded; a signal already loaded is a duplicate, so the same file twice raises nothing; a "
        "signal of a person the registries do not know is kept and counted, never a lead. The lead rules of the policy "
        "in force on the as-of day run for the households the new signals touch: at most one open lead per household, "
        "none for a household with an application in progress or already a recipient of what the signal points to; "
        "each new lead is announced as aid.lead.raised. One transaction. Progress on stderr, a summary on stdout. "
        "Exit status 0 when loaded (refused rows are in the summary), 2 when the file cannot be read (nothing loaded). "
        "Uses DATABASE_URL, or the embedded database under --data-dir.")
    signals.add_argument("file", metavar="FILE", help="the file to load (.csv or .parquet)")
    signals.add_argument("--as-of", default=None, metavar="DATE",
                         help="evaluate the rules as of this day, YYYY-MM-DD, not after today (default: today)")
    signals.add_argument("--json", action="store_true", help="machine-readable summary, with every refused row")
    signals.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")

    status = commands.add_parser("run-status", help="a payment run's progress, until it is done",
                                 description="Show a payment run's progress (households done of its total, paid, failed, "
                                 "total yuan) as a bar redrawn until every household is paid or failed; with --json, once. "
                                 "Exit status 0 when done (or printed, with --json), 1 when some households' payments failed, "
                                 "2 for an unknown run. Uses DATABASE_URL, or the embedded database under --data-dir.")
    status.add_argument("run_id", help="the run's id, as POST /v1/payment-runs answered it")
    status.add_argument("--json", action="store_true", help="print the run once, machine-readable")
    status.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")

    access = commands.add_parser("access-log", help="who read which application's personal data, and why",
                                 description="Print the access log (append-only): every read of an application's "
                                 "personal data through the API or the console, oldest first. Uses DATABASE_URL, or the "
                                 "embedded database under --data-dir.")
    access.add_argument("--application", help="only this application's reads")
    access.add_argument("--limit", type=int, default=100, help="at most this many entries (default: 100)")
    access.add_argument("--after", type=int, default=None, help="entries after this entry id (paging)")
    access.add_argument("--json", action="store_true", help="machine-readable output")
    access.add_argument("--data-dir", default=".jointaid", help="the data directory of `jointaid up` (default: .jointaid)")
    return root


def main(argv: list[str] | None = None) -> int:
    from services.kit.policy import PolicyError

    args = parser().parse_args(argv)
    try:
        if args.command == "run":
            return run_service(args.service)
        if args.command == "up":
            from jointaid.replicas import ReplicaError, parse_replicas
            from jointaid.up import up

            try:
                args.replicas = parse_replicas(args.replicas, SERVICES)
            except ReplicaError as exc:
                parser().error(str(exc))
            return up(args)
        if args.command == "audit":
            return audit(args)
        if args.command == "redrive":
            return redrive(args)
        if args.command == "dlq":
            return dead_letters(args)
        if args.command == "token":
            return print_token(args)
        if args.command == "access-log":
            return show_access_log(args)
        if args.command == "run-status":
            return run_status(args)
        if args.command == "registry":
            return registry_import(args)
        if args.command == "caseload":
            return caseload_import(args)
        if args.command == "monitor":
            return monitor_import(args)
    except PolicyError as exc:
        print(f"jointaid: the policy is not valid: {exc}", file=sys.stderr)
        return 2
    return 2


def run_service(name: str) -> int:
    from jointaid.registry import spec_of
    from services.kit.runner import configure_logging, serve
    from services.kit.settings import Settings

    from services.kit.policy import check_policies

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    check_policies()  # refuse to start on a bad policy version (every one is validated); log each
    run_loop(serve(spec_of(name, settings), settings), settings.loop)
    return 0


def run_loop(main, loop: str) -> None:
    """A service on uvloop (less of the interpreter's time goes to the event loop itself) or asyncio's own."""
    if loop == "asyncio":
        asyncio.run(main)
        return
    import uvloop

    uvloop.run(main)


def audit(args) -> int:
    from jointaid import audit as auditing
    from jointaid.embedded import embedded_database

    url = os.environ.get("DATABASE_URL")
    with (contextlib.nullcontext(url) if url else embedded_database(args.data_dir)) as database_url:
        return auditing.run(database_url, args.json)


def redrive(args) -> int:
    import uuid

    from jointaid.embedded import embedded_database
    from jointaid.prepare import redrive as mark_for_publishing

    application_id = uuid.UUID(args.application_id)
    url = os.environ.get("DATABASE_URL")
    with (contextlib.nullcontext(url) if url else embedded_database(args.data_dir)) as database_url:
        count = asyncio.run(mark_for_publishing(database_url, application_id))
    print(f"redrive: {count} event(s) of {application_id} queued for publishing again")
    return 0


def dead_letters(args) -> int:
    from jointaid import dlq
    from jointaid.embedded import broker_address

    if args.action == "replay" and not args.message_id:
        print("jointaid dlq replay: give the message id (PARTITION:OFFSET) from `jointaid dlq list`", file=sys.stderr)
        return 2
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or broker_address(args.data_dir)
    return dlq.run(bootstrap, args.action, args.message_id)


def print_token(args) -> int:
    from jointaid.credentials import keys_dir, parse_ttl, staff_token

    try:
        ttl = parse_ttl(args.ttl)
    except ValueError as exc:
        print(f"jointaid token: {exc}", file=sys.stderr)
        return 2
    token = staff_token(args.data_dir, args.role, args.subject, ttl)
    print(f"# {args.role} token for {args.subject}, valid {args.ttl}, signed with {keys_dir(args.data_dir)}", file=sys.stderr)
    print(token)
    return 0


def registry_import(args) -> int:
    from services.registries import bulk

    return bulk_import(args, "registry", bulk, lambda summary: 0)  # a refused line is reported, not a failure


def caseload_import(args) -> int:
    from services.caseload import bulk

    return bulk_import(args, "caseload", bulk, lambda summary: 1 if summary.refused else 0)


def monitor_import(args) -> int:
    from datetime import date

    from services.discovery import bulk
    from services.kit.policy import today_in_shanghai

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        print(f"jointaid monitor import: --as-of must be a date, YYYY-MM-DD, not {args.as_of!r}", file=sys.stderr)
        return 2
    if as_of is not None and as_of > today_in_shanghai():
        print(f"jointaid monitor import: --as-of {as_of} is in the future; nothing was loaded", file=sys.stderr)
        return 2
    return bulk_import(args, "monitor", bulk, lambda summary: 0, as_of=as_of)  # a refused row is reported, not a failure


def bulk_import(args, what: str, bulk, exit_status, **options) -> int:
    """`jointaid <what> import FILE`: the file through `bulk.import_file` (with `options`), progress on stderr, the
    summary printed; exit_status(summary), or 2 when the file cannot be read (nothing loaded)."""
    import json
    from pathlib import Path

    from jointaid.embedded import embedded_database

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if not Path(args.file).is_file():  # before looking for a database: the file is the likelier mistake
        print(f"jointaid {what} import: cannot read {args.file}: no such file; nothing was loaded", file=sys.stderr)
        return 2
    url = os.environ.get("DATABASE_URL")
    with (contextlib.nullcontext(url) if url else embedded_database(args.data_dir)) as database_url:
        try:
            summary = asyncio.run(bulk.import_file(database_url, Path(args.file), progress=progress, **options))
        except bulk.UnreadableFile as exc:
            print(f"jointaid {what} import: cannot read {args.file}: {exc}; nothing was loaded", file=sys.stderr)
            return 2
    print(json.dumps(summary.as_json(), ensure_ascii=False, indent=2) if args.json else bulk.summary_text(summary))
    return exit_status(summary)


def run_status(args) -> int:
    import uuid

    from jointaid import run_status as runs
    from jointaid.embedded import embedded_database

    try:
        run_id = uuid.UUID(args.run_id)
    except ValueError:
        print(f"jointaid run-status: {args.run_id!r} is not a run id (a UUID)", file=sys.stderr)
        return 2
    url = os.environ.get("DATABASE_URL")
    with (contextlib.nullcontext(url) if url else embedded_database(args.data_dir)) as database_url:
        return asyncio.run(runs.watch(database_url, run_id, args.json))


def show_access_log(args) -> int:
    import json
    import uuid

    import asyncpg

    from jointaid.embedded import embedded_database
    from services.intake import access_log

    application_id = uuid.UUID(args.application) if args.application else None

    async def read(url: str) -> dict:
        conn = await asyncpg.connect(url, server_settings={"search_path": "intake"})
        try:
            return await access_log.page(conn, limit=max(1, args.limit), after=args.after, application_id=application_id)
        finally:
            await conn.close()

    url = os.environ.get("DATABASE_URL")
    with (contextlib.nullcontext(url) if url else embedded_database(args.data_dir)) as database_url:
        found = asyncio.run(read(database_url))
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    for e in found["entries"]:
        print(f"{e['entry_id']:>8}  {e['at']}  {e['role']:<10} {e['subject']:<24} {e['application_id']}  {e['what']:<12}"
              f"  {e['purpose'] or '(no purpose given)'}")
    if not found["entries"]:
        print("access log: no entries")
    if found["next_after"] is not None:
        print(f"... more: --after {found['next_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
