"""The command line: `clicksbot run | chat | validate | impact | sandbox`. Parses arguments,
loads config, hands over to the application; every failure a person can fix ends in one line
and exit code 2."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from clicksbot import __version__, logs
from clicksbot.config import (
    ENV_CONFIG,
    ENV_EVENT_LOOP,
    ENV_WEBHOOK_SECRET,
    ConfigError,
    Settings,
    load_settings,
    secrets_of,
)
from clicksbot.content import Content, load_content
from clicksbot.content.pact import Pact, PactError, load_configured_pact
from clicksbot.i18n import CatalogError
from clicksbot.store import StoreError
from clicksbot.store.delivery import DeliveryStats
from clicksbot.store.pact import PledgeCounts

if TYPE_CHECKING:
    from clicksbot.store import Store

logger = logging.getLogger(__name__)

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
DEFAULT_IMPACT_WEEKS = 12  # as services.impact.DEFAULT_WEEKS (not imported: start-up time)


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake in the arguments is one line (what, and where to look)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="clicksbot",
        description="A Telegram bot for Media and Information Literacy, a minute a day.",
    )
    parser.add_argument("--version", action="version", version=f"clicksbot {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    def config_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config",
            "-c",
            type=Path,
            default=os.environ.get(ENV_CONFIG) or None,
            help=f"the YAML config file (default: ${ENV_CONFIG}, else built-in defaults)",
        )

    run = commands.add_parser("run", help="run the bot (long polling)")
    config_option(run)
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="receive updates by webhook at this public https URL instead of long polling "
        "(the secret token comes from $CLICKSBOT_WEBHOOK_SECRET, or is made at start)",
    )
    run.add_argument("--listen", default=None, help="webhook: address to listen on")
    run.add_argument("--port", type=int, default=None, help="webhook: port to listen on")
    run.add_argument(
        "--skip-broken-packs",
        action="store_true",
        help="start even if some packs have errors, leaving those packs out",
    )

    chat = commands.add_parser(
        "chat", help="talk to the bot in this terminal, through the local emulator (no Telegram)"
    )
    config_option(chat)
    chat.add_argument("--name", default="You", help="your first name in the chat")
    chat.add_argument(
        "--language", default=None, help="the Telegram language of your chat person (e.g. ms)"
    )
    chat.add_argument(
        "--admin",
        action="store_true",
        help="make you an admin of the bot for this chat session, to try the moderator commands",
    )
    chat.add_argument(
        "--files",
        type=Path,
        default=None,
        help="the folder for photos and files the bot sends (default: chat-files beside the "
        "database)",
    )
    chat.add_argument(
        "--skip-broken-packs",
        action="store_true",
        help="start even if some packs have errors, leaving those packs out",
    )

    validate = commands.add_parser("validate", help="check content packs and list every problem")
    validate.add_argument(
        "paths", nargs="*", type=Path, help="pack files or folders (default: packs_dir)"
    )
    config_option(validate)
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")

    stats = commands.add_parser(
        "stats",
        help="print subscribers, messages sent and failed today, unreachable people, pledges",
    )
    stats.add_argument(
        "--check",
        action="store_true",
        help="recount the pledge totals from the pledges themselves; report and fix any "
        "difference (exit code 1 if there was one)",
    )
    config_option(stats)

    translations = commands.add_parser(
        "translations", help="list the interface languages, their review status and gaps"
    )
    translations.add_argument(
        "--missing", action="store_true", help="also list every untranslated key"
    )

    campaign = commands.add_parser(
        "campaign",
        help="tip campaigns and scheduled broadcasts: add from a YAML file, list, pause, "
        "resume, cancel",
    )
    campaign_commands = campaign.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = campaign_commands.add_parser("add", help="add a campaign from a YAML file (active)")
    add.add_argument("file", type=Path)
    config_option(add)
    listing = campaign_commands.add_parser(
        "list", help="list the campaigns and the broadcasts waiting for their time"
    )
    config_option(listing)
    for action in ("pause", "resume", "cancel"):
        what = (
            "a campaign (3) or a scheduled broadcast (b3)" if action == "cancel" else "a campaign"
        )
        change = campaign_commands.add_parser(action, help=f"{action} {what}")
        change.add_argument("id", help="a campaign number, or b and a broadcast number")
        config_option(change)

    backup = commands.add_parser(
        "backup", help="copy the database consistently, even while the bot runs"
    )
    backup.add_argument("target", type=Path, help="the backup file (or a folder for it)")
    config_option(backup)
    restore = commands.add_parser(
        "restore", help="put a backup in place of the database (the bot must be stopped)"
    )
    restore.add_argument("backup", type=Path, help="the backup file")
    config_option(restore)

    move = commands.add_parser(
        "migrate-store",
        help="copy the SQLite database into an empty PostgreSQL database (the bot stopped)",
    )
    move.add_argument(
        "--to", required=True, metavar="URL", help="the target, postgresql://user@host/dbname"
    )
    move.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        help="the SQLite file (default: the config's `database`)",
    )
    config_option(move)

    audit = commands.add_parser("audit", help="print the audit log of moderator actions")
    audit.add_argument("--limit", type=int, default=100, help="how many lines (default 100)")
    config_option(audit)

    export = commands.add_parser("export", help="export figures as CSV")
    export.add_argument("what", choices=["pledges"], help="what to export")
    export.add_argument("--output", "-o", type=Path, help="the CSV file (default: standard output)")
    config_option(export)

    impact = commands.add_parser(
        "impact",
        help="the impact report: charts (PNG) and a CSV file of learning by cohort, for funders "
        "and partners (groups under 10 people merged or left out)",
    )
    impact.add_argument(
        "--out", "-o", type=Path, default=Path("impact-report"),
        help="the folder to write the charts and the CSV file to (default: impact-report)",
    )  # fmt: skip
    impact.add_argument(
        "--by", default="language", metavar="COHORT",
        help="group by language, country, group or campaign (default: language)",
    )  # fmt: skip
    impact.add_argument(
        "--weeks", default=str(DEFAULT_IMPACT_WEEKS), metavar="N",
        help=f"weeks the weekly charts cover, this one included (default {DEFAULT_IMPACT_WEEKS})",
    )  # fmt: skip
    impact.add_argument(
        "--language", default=None,
        help="the language of the charts' titles (default: default_language of the config)",
    )  # fmt: skip
    config_option(impact)

    sandbox = commands.add_parser(
        "sandbox", help="run the local Bot API emulator alone, for a bot started separately"
    )
    sandbox.add_argument("--port", type=int, default=8081, help="loopback port (default 8081)")
    sandbox.add_argument("--token", default=None, help="the only token to accept (default: any)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    # Durations from PTB (retry_after and friends) as timedelta: PTB's announced future default.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        if args.command == "validate":
            return _validate(args)
        if args.command == "run":
            return _run(args)
        if args.command == "chat":
            from clicksbot.sandbox.chat import run_chat

            settings = load_settings(args.config, require_token=False)
            pact = _pact_or_exit(settings)
            content = _content_or_exit(settings, skip_broken=args.skip_broken_packs)
            return run_chat(
                settings,
                content,
                pact,
                name=args.name,
                language=args.language,
                admin=args.admin,
                files=args.files,
            )
        if args.command == "stats":
            return _stats(args)
        if args.command == "export":
            return _export(args)
        if args.command == "translations":
            return _translations(args)
        if args.command == "campaign":
            return _campaign(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "impact":
            return _impact(args)
        if args.command == "migrate-store":
            return _migrate_store(args)
        if args.command in ("backup", "restore"):
            _not_for_postgresql(args)
        if args.command == "backup":
            from clicksbot.store.files import backup

            settings = _existing_database(args)
            size = backup(settings.database, args.target)
            print(f"clicksbot: backed up {settings.database} to {args.target} ({size} bytes)")
            return 0
        if args.command == "restore":
            from clicksbot.store.files import restore

            settings = load_settings(args.config, require_token=False)
            restore(args.backup, settings.database)
            print(f"clicksbot: restored {settings.database} from {args.backup}")
            return 0
        if args.command == "sandbox":
            from clicksbot.sandbox.chat import serve_forever

            return serve_forever(args.port, args.token)
    except ConfigError as exc:
        print(f"clicksbot: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, CatalogError) as exc:
        print(f"clicksbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE


def _not_for_postgresql(args: argparse.Namespace) -> None:
    settings = load_settings(args.config, require_token=False)
    if settings.database_url:
        raise StoreError(
            f"{settings.database_name}: `{args.command}` copies a SQLite file; for PostgreSQL "
            "use its own tools: pg_dump --format=custom --file=FILE DBNAME to back up (safe "
            "while the bot runs), pg_restore --dbname=DBNAME FILE into an empty database to "
            "restore (see the README, Backups)"
        )


def _migrate_store(args: argparse.Namespace) -> int:
    from clicksbot.store.dialect import describe, is_url
    from clicksbot.store.moving import copy_to_postgresql

    settings = load_settings(args.config, require_token=False)
    if not is_url(args.to):
        raise ConfigError("--to", "to", "expected a postgresql://user@host/dbname URL")
    source = args.source or settings.database
    if not source.is_file():
        raise ConfigError(settings.source, "database", f"{source} does not exist")
    counts = asyncio.run(
        copy_to_postgresql(source, args.to, lambda line: print(f"clicksbot: copied {line}"))
    )
    print(
        f"clicksbot: copied {source} to {describe(args.to)}: {len(counts)} tables, "
        f"{sum(counts.values())} rows, every table's row count checked on both sides"
    )
    return 0


def _stats(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, require_token=False)
    if not settings.database_url and not settings.database.exists():
        raise ConfigError(settings.source, "database", f"{settings.database} does not exist yet")
    from datetime import UTC, datetime

    from clicksbot.services.figures import delivery_figures
    from clicksbot.store import Store

    async def read() -> tuple[DeliveryStats, PledgeCounts, dict[str, tuple[int, int]]]:
        store = await Store.open(settings.store_target)
        try:
            now = datetime.now(UTC)
            wrong = await store.check_pledge_totals(fix=True) if args.check else {}
            return (
                await delivery_figures(store, now, settings.default_timezone),
                await store.pledge_counts(days=14),
                wrong,
            )
        finally:
            await store.close()

    figures, pledges, wrong = asyncio.run(read())
    rows = (
        ("people", figures.people),
        ("subscribers", figures.subscribers),
        ("sent today", figures.sent_since),
        ("failed today", figures.failed_since),
        ("unreachable", figures.unreachable),
        ("pending", figures.pending),
    )
    print(
        f"clicksbot figures ({settings.database_name};"
        f" today since midnight {settings.default_timezone})"
    )
    for name, value in rows:
        print(f"  {name:<13}{value:>10}")
    print(f"pledges (live): {pledges.total}")
    for country, count in sorted(pledges.by_country.items(), key=lambda kv: (-kv[1], kv[0] or "")):
        print(f"  {country or '(no country)':<13}{count:>10}")
    print("new pledges by day (UTC, last 14 days):")
    for day, count in sorted(pledges.by_day.items()):
        print(f"  {day.isoformat():<13}{count:>10}")
    if not args.check:
        return 0
    if not wrong:
        print("check: the pledge totals agree with the pledges")
        return 0
    for country, (kept, counted) in sorted(wrong.items()):
        print(
            f"check: pledges in {country or '(no country)'}: the total said {kept}, "
            f"the pledges count {counted}; fixed (shown above as counted)"
        )
    return EXIT_PROBLEMS


def _translations(args: argparse.Namespace) -> int:
    from clicksbot.i18n import Catalogs, language_name

    catalogs = Catalogs.load()
    total = sum(1 for m in catalogs.catalog("en") if m.id)
    for code in catalogs.languages:
        missing = catalogs.missing(code)
        status = catalogs.review_status(code) or ("source" if code == "en" else "no status")
        print(f"{code:<4} {language_name(code):<22} {total - len(missing):>4}/{total:<4} {status}")
        if args.missing:
            for key in missing:
                print(f"       missing: {key} (English is shown)")
    return 0


def _existing_database(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config, require_token=False)
    if not settings.database_url and not settings.database.exists():
        raise ConfigError(settings.source, "database", f"{settings.database} does not exist yet")
    return settings


def _campaign(args: argparse.Namespace) -> int:
    from datetime import UTC

    from clicksbot.delivery import campaigns
    from clicksbot.render.moderation import snippet
    from clicksbot.services.campaign_files import CampaignFileError, load_campaign_file
    from clicksbot.store import Store

    settings = _existing_database(args)
    spec = None
    if args.action == "add":
        content = _content_or_exit(settings, skip_broken=False)
        try:
            spec = load_campaign_file(args.file, content)
        except CampaignFileError as exc:
            print(f"clicksbot: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS

    async def act() -> int:
        store = await Store.open(settings.store_target)
        now = datetime.now(UTC)
        try:
            if spec is not None:
                campaign_id = await store.create_campaign(
                    spec.name,
                    spec.audience,
                    spec.tips,
                    spec.start,
                    spec.send_time,
                    spec.time_zone,
                    spec.repeat,
                    str(args.file),
                    None,
                    now,
                )
                await store.audit(
                    None,
                    "campaign_create",
                    f"campaign:{campaign_id}",
                    {"name": spec.name, "file": str(args.file)},
                    now,
                )
                print(
                    f"campaign #{campaign_id} added and active: {spec.name!r}, "
                    f"{len(spec.tips)} steps, {spec.repeat} at {spec.send_time} {spec.time_zone}"
                )
                return 0
            if args.action == "list":
                for c in await store.campaigns():
                    print(
                        f"#{c.id:<4} {c.status:<9} step {c.position}/{len(c.tips):<4} "
                        f"{c.repeat:<8} {c.send_time} {c.time_zone:<20} {c.name}"
                        f"  [{c.origin}]"
                    )
                waiting = await store.scheduled_broadcasts()
                if waiting:
                    print("scheduled broadcasts (cancel with `clicksbot campaign cancel bID`):")
                for b in waiting:
                    print(
                        f"b{b.id:<4} {b.send_at.isoformat()}  {json.dumps(b.audience)}  "
                        f"{snippet(str(b.payload.get('html', '')))!r}"
                    )
                return 0
            kind, number = _campaign_or_broadcast(args.id)
            if kind is None:
                print(
                    f"clicksbot: {args.id!r} is neither a campaign (like 3) nor a broadcast "
                    "(like b3): see `clicksbot campaign list`",
                    file=sys.stderr,
                )
                return EXIT_PROBLEMS
            if kind == "broadcast":
                return await _cancel_broadcast(store, args.action, number, now)
            campaign = await store.campaign(number)
            if campaign is None:
                print(
                    f"clicksbot: no campaign #{number} (see `clicksbot campaign list`)",
                    file=sys.stderr,
                )
                return EXIT_PROBLEMS
            status = campaigns.ACTIONS[args.action]
            if not await campaigns.change(store, campaign, args.action, now):
                print(
                    f"clicksbot: campaign #{campaign.id} is {campaign.status}; cannot "
                    f"{args.action} it",
                    file=sys.stderr,
                )
                return EXIT_PROBLEMS
            await store.audit(None, f"campaign_{args.action}", f"campaign:{campaign.id}", {}, now)
            print(f"campaign #{campaign.id} is now {status}")
            return 0
        finally:
            await store.close()

    return asyncio.run(act())


def _campaign_or_broadcast(text: str) -> tuple[str | None, int]:
    """Read a campaign number ("3") or a broadcast's ("b3")."""
    match = re.fullmatch(r"(b?)([1-9][0-9]{0,17})", text.strip())
    if match is None:
        return None, 0
    return ("broadcast" if match.group(1) else "campaign"), int(match.group(2))


async def _cancel_broadcast(store: Store, action: str, broadcast_id: int, now: datetime) -> int:
    """Cancel a broadcast waiting for its time (the same rows /campaigns shows)."""
    if action != "cancel":
        print(
            f"clicksbot: a broadcast cannot be {action}d; "
            f"`clicksbot campaign cancel b{broadcast_id}` cancels it",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    broadcast = await store.broadcast(broadcast_id)
    if broadcast is None or not await store.cancel_broadcast(broadcast_id):
        state = f"is {broadcast.status}" if broadcast else "does not exist"
        print(
            f"clicksbot: broadcast b{broadcast_id} {state}; only a scheduled one can be "
            "cancelled (see `clicksbot campaign list`)",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    await store.audit(None, "broadcast_cancel", f"broadcast:{broadcast_id}", {}, now)
    print(f"broadcast b{broadcast_id} is cancelled: it will not be sent")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from clicksbot.store import Store

    settings = _existing_database(args)

    async def read() -> list[str]:
        store = await Store.open(settings.store_target)
        try:
            entries = await store.audit_entries(args.limit)
        finally:
            await store.close()
        return [
            f"{e.at.isoformat()}  {'cli' if e.actor is None else e.actor!s:<12} {e.action:<18} "
            f"{e.target or '-':<16} {json.dumps(e.details, ensure_ascii=False)}"
            for e in entries
        ]

    for line in asyncio.run(read()):
        print(line)
    return 0


def _impact(args: argparse.Namespace) -> int:
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from clicksbot.i18n import Catalogs
    from clicksbot.services.impact import (
        MAX_WEEKS,
        ImpactError,
        ImpactReport,
        cohort_label,
        impact_report,
        to_csv,
    )
    from clicksbot.store import Store
    from clicksbot.store.impact import COHORTS

    def fail(message: str) -> int:
        print(f"clicksbot impact: {message}", file=sys.stderr)
        return EXIT_USAGE

    if args.by not in COHORTS:
        return fail(f"--by must be one of {', '.join(COHORTS)}, not {args.by!r}")
    if not re.fullmatch(r"[0-9]{1,3}", args.weeks) or not 1 <= int(args.weeks) <= MAX_WEEKS:
        return fail(f"--weeks must be a whole number from 1 to {MAX_WEEKS}, not {args.weeks!r}")
    settings = _existing_database(args)
    catalogs = Catalogs.load()
    language = args.language or settings.default_language
    if language not in catalogs.languages:
        return fail(f"--language must be one of {', '.join(catalogs.languages)}, not {language!r}")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        return fail(f"--out {out} is a file; give a folder (it is made if missing)")
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(settings.default_timezone)).date()

    async def count() -> ImpactReport:
        store = await Store.open(settings.store_target)
        try:
            return await impact_report(store, args.by, int(args.weeks), now, today=today)
        finally:
            await store.close()

    from concurrent.futures import ThreadPoolExecutor

    from clicksbot.render import impact as render

    # matplotlib loads (a second or so) while the database is read, which runs off the GIL.
    with ThreadPoolExecutor(1) as pool:
        loading = pool.submit(render.load_matplotlib)
        try:
            report = asyncio.run(count())
        except ImpactError as exc:
            return fail(str(exc))
        loading.result()

    try:
        out.mkdir(parents=True, exist_ok=True)
        name = f"impact-{report.by}-{today.isoformat()}.csv"
        (out / name).write_bytes(to_csv(report))
        pictures = [] if report.empty else render.charts(report, catalogs.get(language))
        for file_name, png in pictures:
            (out / file_name).write_bytes(png)
    except OSError as exc:
        return fail(f"cannot write to {out}: {exc.strerror}")
    shown = ", ".join(cohort_label(report, f.key) for f in report.cohorts) or "none (too few)"
    print(
        f"clicksbot: impact report by {report.by}, {report.weeks} weeks from "
        f"{report.since.isoformat()}: {len(pictures)} charts and {name} in {out.resolve()}"
        f" (cohorts: {shown}; left out: {report.hidden})"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, require_token=False)
    if not settings.database_url and not settings.database.exists():
        raise ConfigError(settings.source, "database", f"{settings.database} does not exist yet")
    import csv

    from clicksbot.store import Store

    header = ("pledged_on", "version", "language", "country", "invited", "withdrawn_on")

    async def write() -> int | None:
        """Write the rows as they come from the database (never all of them in memory);
        return how many, or None if the file cannot be written."""
        store = await Store.open(settings.store_target)
        try:
            try:
                out = (
                    args.output.open("w", newline="", encoding="utf-8")
                    if args.output
                    else sys.stdout
                )
            except OSError as exc:
                print(f"clicksbot: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
                return None
            written = 0
            try:
                writer = csv.writer(out)
                writer.writerow(header)
                async for row in store.export_pledges():
                    at, version, language, country, invited, withdrawn = row
                    writer.writerow(
                        (
                            at,
                            version,
                            language,
                            country or "",
                            "yes" if invited else "no",
                            withdrawn or "",
                        )
                    )
                    written += 1
            finally:
                if args.output:
                    out.close()
            return written
        finally:
            await store.close()

    written = asyncio.run(write())
    if written is None:
        return EXIT_USAGE
    if args.output:
        print(f"clicksbot: {written} pledges written to {args.output}", file=sys.stderr)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from clicksbot.content.loader import validate_paths

    paths: list[Path] = args.paths
    if not paths:
        paths = [load_settings(args.config, require_token=False).packs_dir]
    report = validate_paths(paths)
    for problem in report.problems:
        print(problem)
    print(report.summary())
    if report.errors or (args.strict and report.warnings):
        return EXIT_PROBLEMS
    return 0


def _content_or_exit(settings: Settings, *, skip_broken: bool) -> Content:
    content, problems = load_content(settings.packs_dir)
    errors = [p for p in problems if not p.warning]
    for problem in problems:
        print(problem, file=sys.stderr)
    if errors and not skip_broken:
        raise ConfigError(
            settings.source,
            "packs_dir",
            f"{len(errors)} problem(s) in the packs above: fix them (see `clicksbot validate`) "
            "or start with --skip-broken-packs",
        )
    return content


def _pact_or_exit(settings: Settings) -> Pact:
    """Read the pact of `pact_file` (or the shipped one) at start, so a broken one stops here."""
    try:
        return load_configured_pact(settings.pact_file)
    except PactError as exc:
        raise ConfigError(settings.source, "pact_file", str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    logs.configure(
        settings.log_level,
        [settings.token.value, settings.webhook_secret.value, *secrets_of(settings)],
        json_lines=settings.log_format == "json",
    )
    pact = _pact_or_exit(settings)
    content = _content_or_exit(settings, skip_broken=args.skip_broken_packs)
    from telegram.error import InvalidToken, NetworkError

    from clicksbot.app import (
        EVENT_LOOPS,
        Webhook,
        build_application,
        close_transports,
        new_event_loop,
        open_database,
        serve,
    )

    asked = os.environ.get(ENV_EVENT_LOOP, "")
    loop_kind = asked.strip().lower()
    if loop_kind not in EVENT_LOOPS:
        print(
            f"clicksbot: {ENV_EVENT_LOOP} may be uvloop or asyncio (or unset: uvloop where "
            f"installed), not {asked!r}",
            file=sys.stderr,
        )
        return EXIT_USAGE

    async def check_database() -> None:
        store, lock = await open_database(settings)
        await store.close()
        if lock is not None:
            lock.release()

    asyncio.run(check_database())  # before Telegram hears of the bot: a bad file stops here

    app = build_application(settings, content, pact=pact)
    webhook = None
    url = args.webhook or settings.webhook_url
    listen = args.listen or settings.webhook_listen
    port = args.port or settings.webhook_port
    if url:
        if not re.match(r"^https?://[^\s/]+/\S*$", url):
            print(
                "clicksbot: --webhook needs a URL like https://bot.example.org/telegram",
                file=sys.stderr,
            )
            return EXIT_USAGE
        secret = os.environ.get(ENV_WEBHOOK_SECRET, "") or settings.webhook_secret.value
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            print(
                f"clicksbot: {ENV_WEBHOOK_SECRET} may hold only A-Z, a-z, 0-9, _ and -, "
                "1 to 256 characters",
                file=sys.stderr,
            )
            return EXIT_USAGE
        webhook = Webhook(url, listen, port, *([secret] if secret else []))
    mode = f"webhook on {listen}:{port}" if webhook else "polling"
    loop = new_event_loop(loop_kind)
    asyncio.set_event_loop(loop)
    kind = type(loop).__module__.partition(".")[0]  # "uvloop", or "asyncio" where it is not
    logger.info("Starting clicksbot %s (%s, on %s's event loop)", __version__, mode, kind)
    secret = settings.token.value
    try:
        loop.run_until_complete(serve(app, webhook))
    except StoreError as exc:
        print(f"clicksbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InvalidToken:
        print(
            f"clicksbot: the Bot API server at {settings.api_url} refused the token: check "
            f"CLICKSBOT_TOKEN or `token` in {settings.source}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except NetworkError as exc:
        reason = str(exc).replace(secret, "[token]")
        print(
            f"clicksbot: cannot reach the Bot API at {settings.api_url} ({reason}); check "
            "the network or `api_url`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except Exception:  # the traceback goes to the log, where the token is masked
        logger.exception("clicksbot stopped on an unexpected error")
        print("clicksbot: stopped on an unexpected error (see the log above)", file=sys.stderr)
        return EXIT_PROBLEMS
    finally:
        loop.run_until_complete(close_transports(app))
        loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
