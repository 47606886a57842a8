"""``lotse``: the single command-line entry point."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import PROJECT_ROOT, get_settings
from bot.translation import cli as translation_cli

if TYPE_CHECKING:
    from bot.content.review import StatusReport

Handler = Callable[[argparse.Namespace], int]


def _endpoints_file() -> Path:
    return Path(os.environ.get("LOTSE_ENDPOINTS_FILE") or PROJECT_ROOT / "var" / "endpoints.yml")


# ---------------------------------------------------------------------- set-up and processes


def cmd_migrate(_: argparse.Namespace) -> int:
    """Apply database migrations (the only way tables are created)."""
    from alembic import command
    from alembic.config import Config

    settings = get_settings()
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = settings.database_url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    """Migrate, seed the content store, write Rasa's endpoint file: everything ``make run`` needs."""
    from bot.content.service import seed
    from bot.db import session_scope
    from bot.directory.service import seed_directory
    from bot.rasa_config import write_endpoints

    settings = get_settings()
    cmd_migrate(args)
    with session_scope(settings.database_url) as session:
        report = seed(session)
        seed_directory(session)
    if settings.rasa_tracker_url.startswith("sqlite:///"):
        Path(settings.rasa_tracker_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # write-ahead log (kept in the file): the Rasa servers of `make run` without Redis share it, and
        # a reader then never makes another process's write wait
        from bot.db import make_engine

        tracker = make_engine(settings.rasa_tracker_url)
        with tracker.connect():
            pass
        tracker.dispose()
    write_endpoints(settings, _endpoints_file())
    print(
        f"database ready; content: {report.items_created} new items, "
        f"{report.translations_created} new texts; endpoints: {_endpoints_file()}"
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run one process of the stack in the foreground (used by the Procfile)."""
    from bot.rasa_config import actions_command, rasa_command, rasa_env, rasa_ports, write_endpoints

    settings = get_settings()
    if args.process == "app":
        import uvicorn

        from bot.logging import configure_logging
        from bot.web.app import create_app

        configure_logging(settings)
        uvicorn.run(create_app(settings), host=settings.app_host, port=settings.app_port, log_level="warning")
        return 0
    if args.process == "rasa":
        endpoints_file = write_endpoints(settings, _endpoints_file())
        ports = rasa_ports(settings)
        if len(ports) > 1:  # one Rasa server per core without Redis (bot/ops/rasa_servers.py)
            from bot.logging import configure_logging
            from bot.ops.rasa_servers import Supervisor

            configure_logging(settings)
            commands = [rasa_command(settings, endpoints_file, port) for port in ports]
            return Supervisor(commands, env=rasa_env(settings), cwd=PROJECT_ROOT).run()
        argv = rasa_command(settings, endpoints_file)
    else:
        argv = actions_command(settings)
    os.chdir(PROJECT_ROOT)
    os.execve(argv[0], argv, rasa_env(settings))  # noqa: S606 - replaces this process by design


# ---------------------------------------------------------------------- content


def _print_status_table(report: StatusReport, *, everything: bool) -> None:
    from bot.content.review import ReviewState

    languages = sorted({lang for item in report.items for lang in item.languages})
    print(f"{'item':52s} {'review by':10s}  " + " ".join(f"{lang:>3s}" for lang in languages))
    marks = {
        ReviewState.REVIEWED: "ok",
        ReviewState.MACHINE_DRAFT: "MT",
        ReviewState.OUTDATED: "OLD",
        ReviewState.MISSING: "--",
    }
    for item in report.items:
        if not (everything or item.needs_attention):
            continue
        due = (item.review_by.isoformat() if item.review_by else "") + ("!" if item.overdue else "")
        cells = " ".join(
            f"{marks[item.languages[lang]] if lang in item.languages else '':>3s}" for lang in languages
        )
        print(f"{item.key:52s} {due:11s} {cells}")
    summary = report.as_json()
    print(
        f"\n{summary['outdated']} outdated, {summary['overdue']} overdue (! = past review date), "
        f"{summary['missing']} missing, {summary['machine_draft']} machine drafts (MT), "
        f"{summary['reviewed']} reviewed"
    )


def cmd_content_review(args: argparse.Namespace) -> int:
    """``content status`` and ``content mark-reviewed``: work on the files in translations/."""
    from bot.content.review import file_report, mark_reviewed
    from bot.content.service import TRANSLATIONS_DIR

    today = date.fromisoformat(args.today) if args.today else date.today()
    directory = Path(args.translations) if args.translations else TRANSLATIONS_DIR
    if args.action == "status":
        report = file_report(directory, today=today)
        if args.json:
            print(json.dumps(report.as_json(everything=args.all), ensure_ascii=False, indent=2))
        else:
            _print_status_table(report, everything=args.all)
        return 1 if args.check and not report.clean else 0
    languages = None if args.lang == "all" else [x.strip() for x in args.lang.split(",") if x.strip()]
    try:
        marked = mark_reviewed(args.keys, languages, by=args.by, on=today, directory=directory)
    except KeyError as exc:
        print(f"error: unknown content key {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"marked {len(marked)} translations reviewed against the current German text")
    return 0


def cmd_content(args: argparse.Namespace) -> int:
    """Seed, show or change content; review status of the translations."""
    from bot.content.domain import write_domain_responses
    from bot.content.render import render
    from bot.content.service import seed, set_text
    from bot.db import session_scope
    from bot.directory.service import seed_directory

    if args.action in ("status", "mark-reviewed"):
        return cmd_content_review(args)
    settings = get_settings()
    if args.action == "domain":
        print("written" if write_domain_responses() else "unchanged")
        return 0
    with session_scope(settings.database_url) as session:
        if args.action == "seed":
            report = seed(session, update_texts=args.update)
            entries = seed_directory(session, update_texts=args.update)
            print(
                f"{report.items_created} items created, {report.items_updated} updated, "
                f"{report.translations_created} texts added; counselling directory: "
                f"{entries.items_created} entries created, {entries.texts_added} texts added"
            )
        elif args.action == "show":
            print(render(session, key=args.key, language=args.language).text)
        elif args.action == "set":
            text = sys.stdin.read() if args.text == "-" else args.text
            row = set_text(
                session, key=args.key, language=args.language, text=text, origin="cli", minor_edit=args.minor
            )
            print(f"{args.key} [{args.language}] is now version {row.version}")
    return 0


# ---------------------------------------------------------------------- staff


def cmd_users(args: argparse.Namespace) -> int:
    """Create staff accounts and API tokens (for the first accounts; later the admin API)."""
    from datetime import timedelta

    from sqlalchemy import select

    from admin_api.staff.models import Role, StaffUser
    from admin_api.staff.service import create_user, issue_token
    from bot.db import session_scope

    settings = get_settings()
    with session_scope(settings.database_url) as session:
        if args.action == "create":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else ""
            if not password:
                print("give the password on standard input with --password-stdin", file=sys.stderr)
                return 2
            languages = [x for x in (args.languages or "").split(",") if x]
            try:
                user = create_user(
                    session,
                    username=args.username,
                    password=password,
                    role=Role(args.role),
                    languages=languages,
                )
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"created {user.role.value} {user.username}")
        else:
            found = session.scalar(select(StaffUser).where(StaffUser.username == args.username))
            if found is None:
                print(f"error: no user {args.username!r}", file=sys.stderr)
                return 1
            token, secret = issue_token(
                session, user=found, name=args.name, lifetime=timedelta(days=settings.api_token_days)
            )
            print(secret)
            print(f"valid until {token.expires_at:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------- analytics


def cmd_questions(args: argparse.Namespace) -> int:
    """The most frequent questions and the most frequent unanswered ones (optionally of one district)."""
    if args.action == "cluster-bench":
        return cmd_cluster_bench(args)
    if args.action in ("clusters", "cluster"):
        if args.bench is not None:  # `lotse questions cluster --bench N`
            args.n, args.seed, args.json = args.bench, 0, False
            return cmd_cluster_bench(args)
        return cmd_clusters(args)
    from bot.analytics.service import district_counts, top_items, top_questions
    from bot.db import session_scope

    settings = get_settings()
    where = {"language": args.language, "topic": args.topic, "district": args.district}
    with session_scope(settings.database_url) as session:
        items = top_items(session, **where, limit=args.limit)
        asked = top_questions(session, **where, limit=args.limit)
        unanswered = top_questions(session, unanswered=True, **where, limit=args.limit)
        districts = district_counts(session, language=args.language, topic=args.topic)
    if args.json:
        result = {
            "answers": [asdict(i) for i in items],
            "questions": [asdict(q) for q in asked],
            "unanswered": [asdict(q) for q in unanswered],
            "districts": [asdict(d) for d in districts],
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    if args.district:
        print(f"District: {args.district}\n")
    print("Most asked (by the answer given):")
    for i in items:
        print(f"  {i.count:5d}  {i.language:3s} {i.topic:22s} {i.content_key}")
    print("\nMost frequent questions (redacted):")
    for q in asked:
        print(f"  {q.count:5d}  {q.language:3s} {q.topic:22s} {q.question}")
    print("\nMost frequent unanswered questions (redacted):")
    for q in unanswered:
        print(f"  {q.count:5d}  {q.language:3s} {q.topic:22s} {q.question}")
    print("\nQuestions by district (where people named one):")
    for d in districts:
        print(f"  {d.count:5d}  {d.district or '(none)'}")
    return 0


def cmd_clusters(args: argparse.Namespace) -> int:
    """Recurring unanswered and low-confidence questions of the last days, grouped across languages."""
    from datetime import timedelta

    from bot.db import session_scope, utcnow
    from bot.insights.clusters import cluster_questions, content_texts, low_confidence_questions

    today = utcnow().date()
    with session_scope(get_settings().database_url) as session:
        questions = low_confidence_questions(session, start=today - timedelta(days=args.days - 1), end=today)
        content = content_texts(session, sorted({q.language for q in questions}))
    result = cluster_questions(questions, today=today, content=content, min_size=args.min_size)
    print(f"{result.questions} questions, {result.distinct} distinct, {len(result.clusters)} clusters")
    for c in result.clusters:
        langs = " ".join(f"{k}:{v}" for k, v in c.languages.items())
        nearest = c.nearest.key if c.nearest else "-"
        print(
            f"\n{c.size:5d}  [{langs}]  this week {c.this_week}, last week {c.last_week}  nearest {nearest}"
        )
        for language, text, count in c.examples:
            print(f"       {language:3s} {text}  (×{count})")
    return 0


def cmd_cluster_bench(args: argparse.Namespace) -> int:
    """Cluster N synthetic, varied questions (four languages) and report the time."""
    import time

    from bot.db import utcnow
    from bot.insights.clusters import cluster_questions, synthetic_questions

    today = utcnow().date()
    made = time.perf_counter()
    questions = synthetic_questions(args.n, today=today, seed=args.seed)
    made = time.perf_counter() - made
    result = cluster_questions(questions, today=today)
    report = {
        "questions": result.questions,
        "distinct": result.distinct,
        "clusters_reported": len(result.clusters),
        "largest": [c.size for c in result.clusters[:5]],
        "seconds": round(result.seconds, 2),
        **result.stats,
        "generate_s": round(made, 2),
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"{result.questions} questions ({result.distinct} distinct) clustered in {result.seconds:.1f} s "
            f"(vectorising {result.stats.get('vectorize_s', 0)} s, "
            f"clustering {result.stats.get('cluster_s', 0)} s); "
            f"largest clusters {report['largest']}"
        )
    return 0


def cmd_nlu(args: argparse.Namespace) -> int:
    """Staged NLU training examples: write the approved ones as a Rasa NLU file."""
    from bot.db import session_scope
    from bot.insights.staging import write_export

    with session_scope(get_settings().database_url) as session:
        count = write_export(session, args.path, include_new_answers=args.include_new_answers)
    print(f"{count} approved example(s) written to {args.path}")
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    """Education profiles: anonymous counts for planning (cells under 3 people are hidden)."""
    from bot.db import session_scope
    from bot.profiles.service import MIN_CELL, education_report

    settings = get_settings()
    with session_scope(settings.database_url) as session:
        report = education_report(session)
    if args.json:
        print(json.dumps(asdict(report), ensure_ascii=False, indent=2))
        return 0
    hidden = f"<{MIN_CELL}"
    print(f"People with an education profile: {report.total if report.total is not None else hidden}")
    for dimension, counts in report.counts.items():
        print(f"\n{dimension}:")
        for value, count in counts.items():
            print(f"  {count if count is not None else hidden:>5}  {value}")
    for district, dimensions in (report.by_district or {}).items():
        print(f"\ndistrict {district}:")
        for dimension, counts in dimensions.items():
            shown = ", ".join(f"{v}={c if c is not None else hidden}" for v, c in counts.items())
            print(f"  {dimension}: {shown}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    """Erase what the retention rules say has to go (--dry-run: only list it)."""
    import asyncio

    from bot.db import session_factory, utcnow
    from bot.ops import retention
    from bot.pipeline import Assistant
    from bot.rasa_client import RasaClient
    from bot.rasa_config import rasa_urls

    settings = get_settings()
    sessions = session_factory(settings.database_url)
    now = utcnow()
    with sessions() as session:
        found = retention.due(session, settings, now)
    print(
        f"conversations idle for more than {settings.retention_days} days (no open case, no case closed "
        f"within {settings.case_retention_days} days, no pending reminder): {len(found.conversations)}"
    )
    for pseudonym in found.conversations:
        print(f"  {pseudonym}")
    print(f"question log rows older than {settings.question_log_days} days: {found.question_log_rows}")
    if args.dry_run:
        print("dry run: nothing erased")
        return 0

    async def erase() -> retention.Report:
        rasa = RasaClient(base_url=rasa_urls(settings), token=settings.secret("rasa_token"), timeout_s=10.0)
        try:
            return await retention.run_once(Assistant(settings=settings, sessions=sessions, rasa=rasa), now)
        finally:
            await rasa.aclose()

    report = asyncio.run(erase())
    if not report.ran:
        print("another instance is running the retention job right now; nothing done")
        return 1
    print(f"erased {report.conversations} conversation(s) and {report.question_log_rows} question log row(s)")
    return 0


# ---------------------------------------------------------------------- talking and measuring


def cmd_chat(args: argparse.Namespace) -> int:
    """Chat with Lotse in the terminal (through the running app)."""
    from bot.terminal_chat import chat

    return chat(args.url or get_settings().app_url, language=args.language)


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure understanding and the crisis safety net on evaluation sets (default: all of eval/)."""
    from bot.evaluation import main as eval_main

    data = [Path(d) for d in args.data] if args.data else None
    return eval_main(data, as_json=args.json, url=args.url, compare_fallback=args.compare_fallback)


def cmd_tune(args: argparse.Namespace) -> int:
    """Choose the ask-back and crisis thresholds on the development split (never the evaluation sets)."""
    from bot.tuning import main as tune_main

    return tune_main([Path(d) for d in args.data or []], as_json=args.json, rasa_url=args.rasa_url)


def cmd_bench(args: argparse.Namespace) -> int:
    """Latency and throughput of the full path against bare Rasa."""
    from bot.bench import Placement, main_open
    from bot.bench import main as bench_main

    stack_env = {}
    if args.rasa_workers is not None:  # Rasa's workers with Redis, else one Rasa server per worker
        stack_env = {"LOTSE_RASA_WORKERS": str(args.rasa_workers)}
        if args.redis_url:
            stack_env["LOTSE_REDIS_URL"] = args.redis_url
    try:
        cpus = Placement.parse(args.server_cpus, args.client_cpus) if args.server_cpus else None
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.rate is not None or args.find_capacity:
        return main_open(
            rate=args.rate or 2.0,
            seconds=args.seconds,
            conversations=args.conversations if args.conversations != 20 else 300,
            find_capacity=args.find_capacity,
            as_json=args.json,
            stack_env=stack_env,
            cpus=cpus,
        )
    return bench_main(
        conversations=args.conversations,
        messages=args.messages,
        as_json=args.json,
        stack_env=stack_env,
        cpus=cpus,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lotse", description="Lotse guidance assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help=cmd_migrate.__doc__).set_defaults(func=cmd_migrate)
    sub.add_parser("prepare", help=cmd_prepare.__doc__).set_defaults(func=cmd_prepare)
    run = sub.add_parser("run", help=cmd_run.__doc__)
    run.add_argument("process", choices=["app", "rasa", "actions"])
    run.set_defaults(func=cmd_run)

    content = sub.add_parser("content", help=cmd_content.__doc__)
    csub = content.add_subparsers(dest="action", required=True)
    s = csub.add_parser(
        "seed", help="load translations/ and the counselling directory into the store (missing texts only)"
    )
    s.add_argument("--update", action="store_true", help="also add file texts that differ as new versions")
    csub.add_parser("domain", help="regenerate assistant/domain/responses.yml from the catalogue")
    show = csub.add_parser("show", help="print a rendered answer")
    show.add_argument("key")
    show.add_argument("language")
    st = csub.add_parser("set", help="store a new version of a text ('-' reads stdin)")
    st.add_argument("key")
    st.add_argument("language")
    st.add_argument("text")
    st.add_argument("--minor", action="store_true", help="mark as a minor edit")
    status = csub.add_parser(
        "status", help="review status of translations/: outdated, machine drafts, missing, overdue items"
    )
    status.add_argument("--json", action="store_true", help="counts and items as JSON")
    status.add_argument(
        "--all", action="store_true", help="list every item, not only those needing attention"
    )
    status.add_argument("--today", help="evaluate review dates for this day (YYYY-MM-DD; default: today)")
    status.add_argument(
        "--check", action="store_true", help="exit 1 if anything is outdated, missing or overdue"
    )
    mark = csub.add_parser(
        "mark-reviewed", help="record that translations were checked against the current German text"
    )
    mark.add_argument("keys", nargs="+", metavar="KEY")
    mark.add_argument(
        "--lang", required=True, help="languages, e.g. ar,fa, or 'all' (every language with a text)"
    )
    mark.add_argument("--by", required=True, help="who checked the texts (name or initials)")
    mark.add_argument("--today", help="date of the check (YYYY-MM-DD; default: today)")
    for review_parser in (status, mark):
        review_parser.add_argument("--translations", help=argparse.SUPPRESS)
    translation_cli.register_content(csub)
    content.set_defaults(func=cmd_content)

    users = sub.add_parser("users", help=cmd_users.__doc__)
    usub = users.add_subparsers(dest="action", required=True)
    create = usub.add_parser("create", help="create a caseworker or admin account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=["caseworker", "admin"])
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--languages", help="languages the person speaks, e.g. ar,fa")
    token = usub.add_parser("token", help="print a new API token for a user")
    token.add_argument("username")
    token.add_argument("--name", default="cli")
    users.set_defaults(func=cmd_users)

    questions = sub.add_parser("questions", help=cmd_questions.__doc__)
    qsub = questions.add_subparsers(dest="action", required=True)
    top = qsub.add_parser("top", help="most frequent and most frequent unanswered questions")
    top.add_argument("--language")
    top.add_argument("--topic")
    top.add_argument("--district", help="only questions from this district (key, e.g. gotha)")
    top.add_argument("--limit", type=int, default=15)
    top.add_argument("--json", action="store_true")
    clusters = qsub.add_parser("clusters", aliases=["cluster"], help=cmd_clusters.__doc__)
    clusters.add_argument("--days", type=int, default=28)
    clusters.add_argument("--min-size", type=int, default=3)
    clusters.add_argument(
        "--bench", type=int, metavar="N", help="instead: cluster N synthetic questions and report the time"
    )
    cbench = qsub.add_parser("cluster-bench", help=cmd_cluster_bench.__doc__)
    cbench.add_argument("--n", type=int, default=100_000)
    cbench.add_argument("--seed", type=int, default=0)
    cbench.add_argument("--json", action="store_true")
    questions.set_defaults(func=cmd_questions)

    nlu = sub.add_parser("nlu", help=cmd_nlu.__doc__)
    nsub = nlu.add_subparsers(dest="action", required=True)
    export = nsub.add_parser(
        "export-staged", help="write the approved staged examples as a Rasa NLU yml file"
    )
    export.add_argument("path", type=Path)
    export.add_argument(
        "--include-new-answers",
        action="store_true",
        help="also examples staged for a new answer (under the intent 'new_answer'; not for training as is)",
    )
    nlu.set_defaults(func=cmd_nlu)

    profiles = sub.add_parser("profiles", help=cmd_profiles.__doc__)
    psub = profiles.add_subparsers(dest="action", required=True)
    preport = psub.add_parser(
        "report", help="education profiles counted by school years, German, field, goal"
    )
    preport.add_argument("--json", action="store_true")
    profiles.set_defaults(func=cmd_profiles)

    keep = sub.add_parser("retention", help=cmd_retention.__doc__)
    keep.add_argument("--dry-run", action="store_true", help="list what would be erased, erase nothing")
    keep.set_defaults(func=cmd_retention)

    chat = sub.add_parser("chat", help=cmd_chat.__doc__)
    chat.add_argument("--url", help="app URL (default: LOTSE_APP_URL)")
    chat.add_argument("--language", help="start in this language")
    chat.set_defaults(func=cmd_chat)

    ev = sub.add_parser("eval", help=cmd_eval.__doc__)
    ev.add_argument(
        "--data",
        action="append",
        help="a JSONL file or a directory of them; repeatable "
        "(default: eval/questions.jsonl, eval/blind, eval/crisis)",
    )
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--url", help="use an already running app instead of starting a stack")
    ev.add_argument(
        "--compare-fallback",
        action="store_true",
        help="also run without the NLU fallback through English and compare",
    )
    ev.set_defaults(func=cmd_eval)

    tune = sub.add_parser("tune", help=cmd_tune.__doc__)
    tune.add_argument("--data", action="append", help="more development data (JSONL), besides eval/dev")
    tune.add_argument("--json", action="store_true")
    tune.add_argument("--rasa-url", help="use an already running Rasa instead of starting a stack")
    tune.set_defaults(func=cmd_tune)

    bench = sub.add_parser("bench", help=cmd_bench.__doc__)
    bench.add_argument("--conversations", type=int, default=20)
    bench.add_argument("--messages", type=int, default=10)
    bench.add_argument(
        "--rate",
        type=float,
        help="open loop: Poisson arrivals, messages/s, over many conversations",
    )
    bench.add_argument("--seconds", type=float, default=60.0, help="open loop: how long arrivals go on")
    bench.add_argument(
        "--find-capacity",
        action="store_true",
        help="open loop from --rate (default 2/s) up by 1.5x until p95 passes 1 s; prints the rate before",
    )
    bench.add_argument(
        "--rasa-workers",
        type=int,
        help="Rasa processes of the benchmark's stack: Rasa's workers on one port with Redis as their "
        "lock store, or with --redis-url '' one Rasa server each, conversations routed by sender",
    )
    bench.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="Redis for --rasa-workers ('' = none: one Rasa server per worker, as `make run` without Redis)",
    )
    bench.add_argument(
        "--server-cpus",
        metavar="LIST",
        help="run the stack on these cores only (e.g. 0), the load generator on the others: "
        "so that 2x the stack's capacity can really be offered on a small machine",
    )
    bench.add_argument("--client-cpus", metavar="LIST", help="the load generator's cores (default: the rest)")
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(func=cmd_bench)

    translation_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.func
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
